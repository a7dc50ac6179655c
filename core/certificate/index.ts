// The client certificate of a registration request: from the TLS socket (the HTTPS listener asks
// for one but does not reject at the TLS layer, so policy decides), or, only when the request
// comes from an address in trustedProxies, from a header a TLS-terminating proxy set
// (Janssen's X-ClientCert with a PEM, or RFC 9440 Client-Cert). Parsed once, into the shape
// the hooks and the RFC 8705 checks use.
import { createHash, X509Certificate } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { TLSSocket } from 'node:tls';
import type { Context } from 'koa';
import type { ServerConfig } from '../config/index.ts';
import { InvalidRequest, messageOf } from '../errors/index.ts';
import { fromTrustedProxy } from '../net/index.ts';

export const DistinguishedNameSchema = Type.Object(
  {
    dn: Type.String({ description: 'RFC 4514 string (most specific attribute first), e.g. `CN=app,OU=org-1,O=TPP,C=GB`.' }),
    attributes: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Attribute values by short name (CN, OU, O, C, organizationIdentifier, ...).' }),
  },
  { 'x-ts': 'DistinguishedName' },
);
export type DistinguishedName = Static<typeof DistinguishedNameSchema>;

/** The client certificate as hooks and the RFC 8705 checks see it. */
export const ClientCertificateSchema = Type.Object(
  {
    pem: Type.String(),
    subject: DistinguishedNameSchema,
    issuer: DistinguishedNameSchema,
    san: Type.Object({ dns: Type.Array(Type.String()), uri: Type.Array(Type.String()), ip: Type.Array(Type.String()), email: Type.Array(Type.String()) }),
    serialNumber: Type.String(),
    notBefore: Type.String(),
    notAfter: Type.String(),
    fingerprintSha256: Type.String({ description: 'Hex SHA-256 of the DER certificate.' }),
    selfSigned: Type.Boolean(),
    publicKeyJwk: Type.Record(Type.String(), Type.Unknown(), { description: "The certificate's public key as a JWK (for self_signed_tls_client_auth)." }),
  },
  { 'x-ts': 'ClientCertificate', description: 'The client certificate presented with the request (TLS socket, or a trusted proxy header).' },
);
export type ClientCertificate = Static<typeof ClientCertificateSchema>;

/** Node prints names one attribute per line, least specific first. */
function parseName(text: string): DistinguishedName {
  const attributes: Record<string, string[]> = {};
  const pairs: string[] = [];
  for (const line of text.split('\n').filter(Boolean)) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const type = line.slice(0, at);
    const value = line.slice(at + 1);
    (attributes[type] ??= []).push(value);
    pairs.push(`${type}=${value.replace(/([,+"\\<>;])/g, '\\$1')}`);
  }
  return { dn: pairs.reverse().join(','), attributes };
}

function parseSan(text: string | undefined): ClientCertificate['san'] {
  const san: ClientCertificate['san'] = { dns: [], uri: [], ip: [], email: [] };
  for (const entry of (text ?? '').split(/,\s*/)) {
    const at = entry.indexOf(':');
    const [kind, value] = [entry.slice(0, at), entry.slice(at + 1)];
    if (kind === 'DNS') san.dns.push(value);
    else if (kind === 'URI') san.uri.push(value);
    else if (kind === 'IP Address') san.ip.push(value);
    else if (kind === 'email') san.email.push(value);
  }
  return san;
}

export function parseCertificate(certificate: X509Certificate): ClientCertificate {
  return {
    pem: certificate.toString(),
    subject: parseName(certificate.subject),
    issuer: parseName(certificate.issuer),
    san: parseSan(certificate.subjectAltName),
    serialNumber: certificate.serialNumber,
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    fingerprintSha256: createHash('sha256').update(certificate.raw).digest('hex'),
    selfSigned: certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey),
    publicKeyJwk: certificate.publicKey.export({ format: 'jwk' }) as Record<string, unknown>,
  };
}

/** A DN as a sorted multiset of `type=value` pairs, for order- and case-insensitive comparison. */
function dnKey(dn: string): string {
  const pairs: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i += 1) {
    const char = dn[i]!;
    if (char === '\\' && i + 1 < dn.length) {
      current += dn[++i];
    } else if (char === ',' || char === '+') {
      pairs.push(current);
      current = '';
    } else current += char;
  }
  pairs.push(current);
  const alias: Record<string, string> = { '2.5.4.97': 'organizationidentifier', emailaddress: 'emailaddress', e: 'emailaddress' };
  return pairs
    .map((pair) => {
      const at = pair.indexOf('=');
      const type = pair.slice(0, at).trim().toLowerCase();
      return `${alias[type] ?? type}=${pair.slice(at + 1).trim()}`;
    })
    .sort()
    .join('|');
}

export const sameDn = (a: string, b: string): boolean => dnKey(a) === dnKey(b);

function fromHeaderValue(name: string, raw: string): X509Certificate {
  let text = raw.trim();
  if (name === 'client-cert') {
    // RFC 9440: a structured-field byte sequence, `:base64 DER:`.
    const match = /^:([A-Za-z0-9+/=]+):$/.exec(text);
    if (!match) throw new InvalidRequest('the Client-Cert header is not an RFC 9440 byte sequence');
    return new X509Certificate(Buffer.from(match[1]!, 'base64'));
  }
  if (text.includes('%')) text = decodeURIComponent(text);
  // Proxies often fold the PEM onto one line; put the base64 body back on its own lines.
  const body = text.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return new X509Certificate(`-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
}

/**
 * Whether the request's certificate chains to a trusted CA: on the TLS socket, to DCR_TLS_CA_FILE's
 * (the listener asks without rejecting, so this is checked here); from a trusted proxy, the proxy
 * that terminated TLS vouches for it.
 */
export function certificateChainTrusted(ctx: Context, config: ServerConfig): boolean {
  const socket = ctx.req.socket as TLSSocket;
  if (socket.encrypted) return socket.authorized === true;
  return fromTrustedProxy(ctx, config.trustedProxies);
}

/** The request's client certificate, or undefined. A malformed proxy header is 400 invalid_request. */
export function requestCertificate(ctx: Context, config: ServerConfig): ClientCertificate | undefined {
  const socket = ctx.req.socket as TLSSocket;
  if (socket.encrypted) {
    const peer = socket.getPeerX509Certificate();
    if (peer) return parseCertificate(peer);
  }
  if (!fromTrustedProxy(ctx, config.trustedProxies)) return undefined;
  for (const header of ['x-clientcert', 'client-cert']) {
    const value = ctx.get(header);
    if (!value) continue;
    try {
      return parseCertificate(fromHeaderValue(header, value));
    } catch (err) {
      if (err instanceof InvalidRequest) throw err;
      throw new InvalidRequest(`the ${header} header does not hold a certificate: ${messageOf(err)}`);
    }
  }
  return undefined;
}
