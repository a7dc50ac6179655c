// Client keys: jwks and jwks_uri are exclusive (RFC 7591 §2); keys by value must be public,
// asymmetric and importable (jose); methods that need client keys must have them.
import { importJWK, type JWK } from 'jose';
import { InvalidClientMetadata, messageOf } from '../../errors/index.ts';
import type { ClientMetadata } from '../fields.ts';
import { ENCRYPTION_ALG_MEMBERS } from './encryption.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const KEY_AGREEMENT_CURVES = new Set(['X25519', 'X448']);
const EC_SIGNING = new Map([['P-256', 'ES256'], ['P-384', 'ES384'], ['P-521', 'ES512']]);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SYMMETRIC_KEY_MANAGEMENT = /^(A\d{3}(GCM)?KW|dir)$/;
/** Signing members the authorization server keys with the client_secret when their algorithm is HMAC. */
const CLIENT_SIGNING_MEMBERS = [
  'id_token_signed_response_alg',
  'userinfo_signed_response_alg',
  'authorization_signed_response_alg',
  'request_object_signing_alg',
  'token_endpoint_auth_signing_alg',
  'backchannel_authentication_request_signing_alg',
] as const;

const isHmacAlg = (alg: unknown): boolean => typeof alg === 'string' && alg.startsWith('HS');

/** Whether an algorithm the client uses is keyed with its client_secret: HMAC signing (HS*) or symmetric key management (A*KW, dir). */
export const keyedWithClientSecret = (metadata: ClientMetadata): boolean =>
  CLIENT_SIGNING_MEMBERS.some((member) => isHmacAlg(metadata[member])) ||
  ENCRYPTION_ALG_MEMBERS.some((member) => {
    const alg = metadata[member];
    return typeof alg === 'string' && SYMMETRIC_KEY_MANAGEMENT.test(alg);
  });

/** The algorithm jose needs to import a key that does not name one. */
function importAlgorithm(key: JWK): string | undefined {
  if (typeof key.alg === 'string') return key.alg;
  const encryption = key.use === 'enc';
  switch (key.kty) {
    case 'RSA':
      return encryption ? 'RSA-OAEP' : 'RS256';
    case 'EC':
      return encryption ? 'ECDH-ES' : EC_SIGNING.get(String(key.crv));
    case 'OKP':
      return encryption || KEY_AGREEMENT_CURVES.has(String(key.crv)) ? 'ECDH-ES' : 'EdDSA';
    default:
      return undefined;
  }
}

async function checkKey(key: JWK, index: number): Promise<void> {
  const name = `jwks key ${typeof key.kid === 'string' ? `"${key.kid}"` : index}`;
  if (typeof key.kty !== 'string') throw new InvalidClientMetadata(`${name} has no kty`);
  if (key.kty === 'oct') throw new InvalidClientMetadata(`${name}: jwks must not contain symmetric keys`);
  if (PRIVATE_MEMBERS.some((member) => member in key)) throw new InvalidClientMetadata(`${name}: jwks must not contain private key material`);
  for (const member of ['n', 'e', 'x', 'y'] as const) {
    const value = key[member];
    if (value !== undefined && (typeof value !== 'string' || !BASE64URL.test(value))) {
      throw new InvalidClientMetadata(`${name}: ${member} is not base64url`);
    }
  }
  // RFC 7518 §3.3 / NIST: RSA moduli under 2048 bits are refused.
  if (key.kty === 'RSA' && Buffer.from(String(key.n), 'base64url').length < 256) {
    throw new InvalidClientMetadata(`${name}: RSA keys must be at least 2048 bits`);
  }
  const alg = importAlgorithm(key);
  if (!alg) throw new InvalidClientMetadata(`${name} has an unsupported key type or curve`);
  try {
    await importJWK(key, alg);
  } catch (err) {
    throw new InvalidClientMetadata(`${name} is not a valid public key: ${messageOf(err)}`);
  }
}

export async function keys(metadata: ClientMetadata): Promise<void> {
  const { jwks, jwks_uri: jwksUri, token_endpoint_auth_method: method } = metadata;
  if (jwks && jwksUri) throw new InvalidClientMetadata('jwks and jwks_uri must not both be present');
  if (jwks) {
    if (jwks.keys.length === 0) throw new InvalidClientMetadata('jwks must contain at least one key');
    await Promise.all(jwks.keys.map((key, index) => checkKey(key as JWK, index)));
  }
  const hasKeys = Boolean(jwks || jwksUri);
  if (!hasKeys && (method === 'private_key_jwt' || method === 'self_signed_tls_client_auth')) {
    throw new InvalidClientMetadata(`token_endpoint_auth_method ${method} requires jwks or jwks_uri`);
  }
  for (const member of ENCRYPTION_ALG_MEMBERS) {
    const alg = metadata[member];
    if (typeof alg === 'string' && !SYMMETRIC_KEY_MANAGEMENT.test(alg) && !hasKeys) {
      throw new InvalidClientMetadata(`${member} ${alg} requires the client's public keys (jwks or jwks_uri)`);
    }
  }
  const signingAlg = metadata.token_endpoint_auth_signing_alg;
  if (signingAlg && method === 'private_key_jwt' && isHmacAlg(signingAlg)) {
    throw new InvalidClientMetadata('token_endpoint_auth_signing_alg must be asymmetric for private_key_jwt');
  }
  if (signingAlg && method === 'client_secret_jwt' && !isHmacAlg(signingAlg)) {
    throw new InvalidClientMetadata('token_endpoint_auth_signing_alg must be an HMAC algorithm for client_secret_jwt');
  }
  // Request objects, CIBA requests and client assertions the authorization server verifies with the client's public keys.
  for (const member of ['request_object_signing_alg', 'backchannel_authentication_request_signing_alg', 'token_endpoint_auth_signing_alg'] as const) {
    const alg = metadata[member];
    if (typeof alg === 'string' && alg !== 'none' && !isHmacAlg(alg) && !hasKeys) {
      throw new InvalidClientMetadata(`${member} ${alg} requires the client's public keys (jwks or jwks_uri)`);
    }
  }
}
