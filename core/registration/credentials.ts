// What the server issues with a client: client_id, client_secret (for secret-based
// authentication methods), the registration access token, and the expiry.
import type { ServerConfig } from '../config/index.ts';
import { InvalidClientMetadata } from '../errors/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);
/** Members whose HMAC algorithms (HS*) or symmetric key management (A*KW, dir) are keyed with the client_secret. */
const SECRET_KEYED = [
  'id_token_signed_response_alg',
  'userinfo_signed_response_alg',
  'authorization_signed_response_alg',
  'request_object_signing_alg',
  'token_endpoint_auth_signing_alg',
  'backchannel_authentication_request_signing_alg',
  'id_token_encrypted_response_alg',
  'userinfo_encrypted_response_alg',
  'authorization_encrypted_response_alg',
  'request_object_encryption_alg',
];

/** A client gets a client_secret when it authenticates with one, or when an algorithm it uses is keyed with it. */
export const needsSecret = (metadata: ClientMetadata): boolean =>
  SECRET_METHODS.has(metadata.token_endpoint_auth_method ?? '') ||
  SECRET_KEYED.some((member) => {
    const alg = metadata[member];
    return typeof alg === 'string' && (alg.startsWith('HS') || /^(A\d{3}(GCM)?KW|dir)$/.test(alg));
  });

/**
 * When the client expires (ms), or null for never: dynamicRegistrationExpirationTime, or the
 * request's `lifetime` unless dcrForbidExpirationTimeInRequest, capped by the server lifetime.
 */
export function clientExpiry(lifetime: number | undefined, config: ServerConfig, now: number): number | null {
  const serverLifetime = config.dynamicRegistrationExpirationTime > 0 ? config.dynamicRegistrationExpirationTime : undefined;
  if (lifetime !== undefined) {
    if (config.dcrForbidExpirationTimeInRequest) throw new InvalidClientMetadata('lifetime may not be requested at this server');
    return now + Math.min(lifetime, serverLifetime ?? lifetime) * 1000;
  }
  return serverLifetime === undefined ? null : now + serverLifetime * 1000;
}

export const epochSeconds = (ms: number): number => Math.floor(ms / 1000);
