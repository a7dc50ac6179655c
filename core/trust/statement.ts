// Software statements (RFC 7591 §2.3, §3.1.1): verified per softwareStatementValidationType,
// then their claims take precedence over the request's members. Failures: a statement that is
// malformed, unsigned, tampered, expired, not yet valid or without `iss` is
// invalid_software_statement; one from an untrusted issuer or without a resolvable key is
// unapproved_software_statement.
import type { ServerConfig } from '../config/index.ts';
import { InvalidClientMetadata, InvalidRedirectUri, InvalidSoftwareStatement, UnapprovedSoftwareStatement } from '../errors/index.ts';
import { parseJwks, type RemoteKeySets } from './keySets.ts';
import { checkAlgorithm, decodeUnverified, isHmac, jwksSource, verifyJwt, type DecodedJwt, type KeySource } from './jwt.ts';
import type { ClientMetadata } from '../metadata/index.ts';
import { FAPI_SIGNING_ALGORITHMS } from '../metadata/rules/fapi.ts';
import type { KeyResolver, Operation, VerifiedJwt } from '../policy/index.ts';

/** What verification works with: the configuration, remote key sets, and the key hooks. */
export interface TrustContext {
  config: ServerConfig;
  keySets: RemoteKeySets;
  resolveKey: KeyResolver;
  operation: Extract<Operation, 'create' | 'update'>;
  requestId: string;
  now: number;
}

export interface VerifiedStatement extends VerifiedJwt {
  /** The compact JWT, echoed unmodified. */
  token: string;
  /** Scopes the statement's issuer grants automatically (builtin: trustedSsaIssuers). */
  grantedScopes: string[];
  /**
   * Whether an issuer the operator trusts vouches for it (builtin: a trusted issuer's keys; script:
   * keys the operator's policy gave); false when it was not verified, or with keys it carried itself.
   */
  trusted: boolean;
}

type SsaConfig = ServerConfig['dcrSsaValidationConfigs'][number];

const invalid = (d: string) => new InvalidSoftwareStatement(d);
const unapproved = (d: string) => new UnapprovedSoftwareStatement(d);

export const allowedAlgorithms = (configured: readonly string[], config: ServerConfig): string[] =>
  config.fapiCompatibility ? configured.filter((alg) => FAPI_SIGNING_ALGORITHMS.includes(alg)) : [...configured];

/** builtin entries of a type (`ssa` or `dcr`) trusting `issuer`. */
export function trustedEntries(config: ServerConfig, type: 'ssa' | 'dcr', issuer: unknown): SsaConfig[] {
  return config.dcrSsaValidationConfigs.filter(
    (entry) => entry.type.toLowerCase() === type && typeof issuer === 'string' && (entry.issuers ?? []).includes(issuer),
  );
}

/** The key source of a builtin entry for a token signed with `alg`. */
export function entrySource(entry: SsaConfig, alg: string | undefined): KeySource | undefined {
  const from = `dcrSsaValidationConfigs "${entry.id}"`;
  const secret = entry.sharedSecret;
  if (isHmac(alg)) return secret ? { kind: 'secret', secret, from } : undefined;
  const uri = entry.jwksUri;
  return jwksSource(entry.jwks, from) ?? (uri ? { kind: 'jwks_uri', url: uri, from } : undefined);
}

/** Keys a script returned: a JWKS (object or JSON string) or, for HMAC, a secret string. */
export function scriptSource(answer: unknown, hmac: boolean, hook: string): KeySource | undefined {
  if (answer === undefined) return undefined;
  if (hmac) return typeof answer === 'string' ? { kind: 'secret', secret: answer, from: `the ${hook} hook` } : undefined;
  return jwksSource(answer, `the ${hook} hook`);
}

async function keySource(decoded: DecodedJwt, context: TrustContext): Promise<{ source: KeySource | undefined; entry?: SsaConfig }> {
  const { config } = context;
  const { header, claims } = decoded;
  switch (config.softwareStatementValidationType) {
    case 'script': {
      const hook = isHmac(header.alg) ? 'getSoftwareStatementHmacSecret' : 'getSoftwareStatementJwks';
      const answer = await context.resolveKey(hook, { operation: context.operation, requestId: context.requestId, header, claims });
      return { source: scriptSource(answer, isHmac(header.alg), hook) };
    }
    case 'jwks': {
      const claim = config.softwareStatementValidationClaimName ?? 'jwks';
      return { source: jwksSource(claims[claim], `the statement's own "${claim}" claim`) };
    }
    case 'jwks_uri': {
      const claim = config.softwareStatementValidationClaimName ?? 'jwks_uri';
      const url = claims[claim];
      return { source: typeof url === 'string' ? { kind: 'jwks_uri', url, from: `the statement's own "${claim}" claim` } : undefined };
    }
    case 'builtin': {
      const entries = trustedEntries(config, 'ssa', claims.iss);
      if (entries.length === 0) throw unapproved(`the software statement's issuer "${String(claims.iss)}" is not trusted`);
      for (const entry of entries) {
        const source = entrySource(entry, header.alg);
        if (source) return { source, entry };
      }
      return { source: undefined };
    }
    default:
      return { source: undefined };
  }
}

export async function verifySoftwareStatement(token: unknown, context: TrustContext): Promise<VerifiedStatement> {
  const { config } = context;
  if (typeof token !== 'string') throw invalid('software_statement must be a JWT string');
  const algorithms = allowedAlgorithms(config.softwareStatementAllowedAlgorithms, config);
  const decoded = decodeUnverified(token, { what: 'software statement', invalid });
  if (typeof decoded.claims.iss !== 'string' || decoded.claims.iss === '') throw invalid('the software statement has no iss claim');
  const common = {
    what: 'software statement',
    algorithms,
    clockToleranceSeconds: config.dcrSignatureValidationClockSkewSeconds,
    requiredClaims: ['iss'],
    currentDate: new Date(context.now),
    keySets: context.keySets,
    invalid,
    unapproved,
  };
  let verified: DecodedJwt;
  let entry: SsaConfig | undefined;
  if (config.softwareStatementValidationType === 'none') {
    // Not verified: the claims are used as they are. Structure, alg and time are still checked.
    if (decoded.header.alg?.toLowerCase() === 'none' && config.rejectJwtWithNoneAlg) throw invalid('the software statement is not signed (alg "none")');
    if (decoded.header.alg?.toLowerCase() !== 'none') checkAlgorithm(decoded.header, common);
    const now = context.now / 1000;
    const skew = config.dcrSignatureValidationClockSkewSeconds;
    if (typeof decoded.claims.exp === 'number' && decoded.claims.exp <= now - skew) throw invalid('the software statement has expired');
    if (typeof decoded.claims.nbf === 'number' && decoded.claims.nbf > now + skew) throw invalid('the software statement is not yet valid');
    verified = decoded;
  } else {
    const found = await keySource(decoded, context);
    entry = found.entry;
    verified = await verifyJwt(token, found.source, common);
  }

  let claims = verified.claims as Record<string, unknown>;
  const allowedClaims = entry?.allowedClaims;
  if (allowedClaims) claims = Object.fromEntries(Object.entries(claims).filter(([name]) => allowedClaims.includes(name) || name === 'iss'));
  const entryScopes = entry?.scopes;
  if (entryScopes && typeof claims.scope === 'string') {
    claims = { ...claims, scope: claims.scope.split(' ').filter((scope) => entryScopes.includes(scope)).join(' ') };
  }
  const grantedScopes = config.softwareStatementValidationType === 'builtin' ? (config.trustedSsaIssuers[String(claims.iss)]?.automaticallyGrantedScopes ?? []) : [];
  const trusted = config.softwareStatementValidationType === 'builtin' || config.softwareStatementValidationType === 'script';
  return { token, header: verified.header as Record<string, unknown>, claims, grantedScopes, trusted };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The request's metadata with the statement applied: statement claims take precedence, the
 * redirect URIs must lie within software_redirect_uris, and keys the request names must agree
 * with the statement's.
 */
export function applyStatement(request: ClientMetadata, statement: VerifiedStatement, statementMetadata: ClientMetadata): ClientMetadata {
  const claims = statement.claims;
  const allowedRedirects = Array.isArray(claims.software_redirect_uris) ? (claims.software_redirect_uris as unknown[]).filter((u) => typeof u === 'string') : undefined;
  const redirects = statementMetadata.redirect_uris ?? request.redirect_uris ?? allowedRedirects;
  if (allowedRedirects && redirects) {
    const outside = redirects.find((uri) => !allowedRedirects.includes(uri));
    if (outside) throw new InvalidRedirectUri(`redirect URI "${outside}" is not among the software statement's software_redirect_uris`);
  }
  const statementJwksUri = claims.jwks_uri ?? claims.software_jwks_uri ?? claims.software_jwks_endpoint;
  if (request.jwks_uri !== undefined && statementJwksUri !== undefined && request.jwks_uri !== statementJwksUri) {
    throw new InvalidClientMetadata("jwks_uri does not match the software statement's");
  }
  const statementJwks = claims.jwks ?? claims.software_jwks;
  if (request.jwks !== undefined && statementJwks !== undefined && !same(request.jwks, parseJwks(statementJwks))) {
    throw new InvalidClientMetadata("jwks does not match the software statement's");
  }
  const merged: ClientMetadata = { ...request, ...statementMetadata, software_statement: statement.token };
  if (redirects) merged.redirect_uris = redirects;
  return merged;
}
