// RFC 8705 §2: when a client registering tls_client_auth or self_signed_tls_client_auth presents
// a certificate, its registration must describe that certificate: the one subject member of
// tls_client_auth names the certificate's subject DN or one of its SANs; a self-signed
// certificate's key is one of the client's keys. The same binding lets a registered client manage
// itself with its certificate alone (dcrAuthorizationWithMTLS).
import { calculateJwkThumbprint, type JWK } from 'jose';
import { sameDn, type ClientCertificate } from '../certificate/index.ts';
import { InvalidClientMetadata } from '../errors/index.ts';
import type { RemoteKeySets } from '../trust/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';

const SAN_MEMBERS = [
  ['tls_client_auth_san_dns', 'dns'],
  ['tls_client_auth_san_uri', 'uri'],
  ['tls_client_auth_san_ip', 'ip'],
  ['tls_client_auth_san_email', 'email'],
] as const;

async function keyOfClient(client: ClientMetadata, certificate: ClientCertificate, keySets: RemoteKeySets): Promise<boolean> {
  const keys = client.jwks ?? (client.jwks_uri ? await keySets.get(client.jwks_uri).catch(() => undefined) : undefined);
  const wanted = await calculateJwkThumbprint(certificate.publicKeyJwk as JWK);
  const thumbprints = await Promise.all((keys?.keys ?? []).map((key) => calculateJwkThumbprint(key as JWK).catch(() => '')));
  return thumbprints.includes(wanted);
}

/**
 * Whether the certificate identifies the registered client: its tls_client_auth subject members
 * (at least one, and only for a certificate whose chain is trusted: anyone can mint a subject), or
 * one of its keys (self_signed_tls_client_auth).
 */
export async function certificateIdentifies(client: ClientMetadata, certificate: ClientCertificate, keySets: RemoteKeySets, chainTrusted: boolean): Promise<boolean> {
  if (client.token_endpoint_auth_method === 'tls_client_auth') {
    if (!chainTrusted) return false;
    const subject = client.tls_client_auth_subject_dn;
    if (subject === undefined && SAN_MEMBERS.every(([member]) => client[member] === undefined)) return false;
    if (subject !== undefined && !sameDn(subject, certificate.subject.dn)) return false;
    return SAN_MEMBERS.every(([member, kind]) => client[member] === undefined || certificate.san[kind].includes(client[member] as string));
  }
  if (client.token_endpoint_auth_method === 'self_signed_tls_client_auth') return certificate.selfSigned && keyOfClient(client, certificate, keySets);
  return false;
}

export async function checkCertificateBinding(client: ClientMetadata, certificate: ClientCertificate, keySets: RemoteKeySets): Promise<void> {
  const method = client.token_endpoint_auth_method;
  if (method === 'tls_client_auth') {
    if (client.tls_client_auth_subject_dn !== undefined && !sameDn(client.tls_client_auth_subject_dn, certificate.subject.dn)) {
      throw new InvalidClientMetadata(`tls_client_auth_subject_dn does not match the presented certificate's subject (${certificate.subject.dn})`);
    }
    for (const [member, kind] of SAN_MEMBERS) {
      const expected = client[member];
      if (expected !== undefined && !certificate.san[kind].includes(expected)) {
        throw new InvalidClientMetadata(`${member} "${expected}" is not a ${kind} SAN of the presented certificate`);
      }
    }
  }
  if (method === 'self_signed_tls_client_auth') {
    if (!certificate.selfSigned) throw new InvalidClientMetadata('self_signed_tls_client_auth needs a self-signed certificate');
    if (!(await keyOfClient(client, certificate, keySets))) throw new InvalidClientMetadata("the presented certificate's key is not among the client's keys (self_signed_tls_client_auth)");
  }
}
