// JWT verification for software statements and signed registration requests, with jose. The
// caller says where keys come from (by the JWS header) and which error family to answer with;
// this module maps every failure to that family with a precise description.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWK, type JWTPayload, type JWSHeaderParameters } from 'jose';
import { messageOf, type OAuthError } from '../errors/index.ts';
import { checkDepth } from '../http/index.ts';
import { KeySetError, parseJwks, type JSONWebKeySet, type RemoteKeySets } from './keySets.ts';

export type KeySource =
  | { kind: 'jwks'; jwks: JSONWebKeySet; from: string }
  | { kind: 'jwks_uri'; url: string; from: string }
  | { kind: 'secret'; secret: string; from: string };

export interface DecodedJwt {
  header: JWSHeaderParameters;
  claims: JWTPayload & Record<string, unknown>;
}

export interface VerifyOptions {
  /** What the token is, for messages ("software statement", "signed request"). */
  what: string;
  algorithms: readonly string[];
  audience?: readonly string[] | undefined;
  clockToleranceSeconds: number;
  requiredClaims: readonly string[];
  currentDate?: Date;
  keySets: RemoteKeySets;
  /** The error for a token that is malformed, tampered, expired or otherwise invalid. */
  invalid: (description: string) => OAuthError;
  /** The error for a token no trusted key can be found for. */
  unapproved: (description: string) => OAuthError;
}

export const isHmac = (alg: string | undefined): boolean => typeof alg === 'string' && alg.startsWith('HS');

/** Header and claims without verification; throws `invalid` when it is not a JWS compact JWT. */
export function decodeUnverified(token: string, options: Pick<VerifyOptions, 'what' | 'invalid'>): DecodedJwt {
  if (typeof token !== 'string' || token.split('.').length !== 3) throw options.invalid(`the ${options.what} is not a signed JWT`);
  let decoded: DecodedJwt;
  try {
    decoded = { header: decodeProtectedHeader(token) as JWSHeaderParameters, claims: decodeJwt(token) as DecodedJwt['claims'] };
  } catch (err) {
    throw options.invalid(`the ${options.what} cannot be decoded: ${messageOf(err)}`);
  }
  try {
    checkDepth(decoded.claims, `the ${options.what}`);
  } catch (err) {
    throw options.invalid(messageOf(err));
  }
  return decoded;
}

/** Checks the algorithm before any key is looked for. */
export function checkAlgorithm(header: JWSHeaderParameters, options: Pick<VerifyOptions, 'what' | 'algorithms' | 'invalid'>): void {
  const alg = header.alg;
  if (!alg || alg.toLowerCase() === 'none') throw options.invalid(`the ${options.what} is not signed (alg "none")`);
  if (!options.algorithms.includes(alg)) throw options.invalid(`the ${options.what} uses alg ${alg}, which is not accepted here`);
}

export async function verifyJwt(token: string, source: KeySource | undefined, options: VerifyOptions): Promise<DecodedJwt> {
  const { header } = decodeUnverified(token, options);
  checkAlgorithm(header, options);
  if (!source) throw options.unapproved(`no trusted key is configured for the ${options.what}`);
  if (source.kind === 'secret' && !isHmac(header.alg)) throw options.invalid(`the ${options.what} must be signed with HMAC for ${source.from}`);
  if (source.kind !== 'secret' && isHmac(header.alg)) throw options.invalid(`the ${options.what} must be signed with a public key for ${source.from}`);
  const key =
    source.kind === 'secret'
      ? new TextEncoder().encode(source.secret)
      : source.kind === 'jwks'
        ? createLocalJWKSet(source.jwks)
        : options.keySets.resolver(source.url);
  try {
    const verified = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
      algorithms: [...options.algorithms],
      clockTolerance: options.clockToleranceSeconds,
      requiredClaims: [...options.requiredClaims],
      ...(options.audience && options.audience.length > 0 ? { audience: [...options.audience] } : {}),
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    });
    const nowSeconds = (options.currentDate?.getTime() ?? Date.now()) / 1000;
    if (typeof verified.payload.iat === 'number' && verified.payload.iat > nowSeconds + options.clockToleranceSeconds) {
      throw options.invalid(`the ${options.what}'s iat is in the future`);
    }
    return { header: verified.protectedHeader, claims: verified.payload as DecodedJwt['claims'] };
  } catch (err) {
    if (err instanceof Error && 'error' in err && 'status' in err) throw err;
    throw mapError(err, source, options);
  }
}

function mapError(err: unknown, source: KeySource, options: VerifyOptions): OAuthError {
  const what = options.what;
  if (err instanceof KeySetError) return options.unapproved(`the ${what}'s keys could not be obtained: ${err.message}`);
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return options.unapproved(`no key in ${source.from} matches the ${what}'s header`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return options.invalid(`the ${what}'s signature does not verify with ${source.from}`);
  if (err instanceof errors.JWTExpired) return options.invalid(`the ${what} has expired`);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return options.invalid(`the ${what} is not yet valid`);
    if (err.claim === 'iat') return options.invalid(`the ${what}'s iat is ${err.reason === 'missing' ? 'missing' : 'in the future'}`);
    return options.invalid(`the ${what}'s ${err.claim} claim is ${err.reason === 'missing' ? 'missing' : 'not acceptable'}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return options.invalid(`the ${what}'s algorithm is not accepted`);
  if (err instanceof errors.JOSEError) return options.invalid(`the ${what} is invalid: ${err.message}`);
  return options.unapproved(`the ${what} could not be verified: ${messageOf(err)}`);
}

/** A JWKS from configuration or a claim (object or JSON string); undefined when absent or malformed. */
export function jwksSource(value: unknown, from: string): KeySource | undefined {
  const jwks = parseJwks(value);
  return jwks ? { kind: 'jwks', jwks, from } : undefined;
}

export type { JWK };
