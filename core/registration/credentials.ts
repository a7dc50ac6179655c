// What the server issues with a client: client_id, client_secret (for secret-based
// authentication methods), the registration access token, and the expiry.
import type { ServerConfig } from '../config/index.ts';
import { InvalidClientMetadata } from '../errors/index.ts';
import { keyedWithClientSecret, type ClientMetadata } from '../metadata/index.ts';

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

/** A client gets a client_secret when it authenticates with one, or when an algorithm it uses is keyed with it. */
export const needsSecret = (metadata: ClientMetadata): boolean =>
  SECRET_METHODS.has(metadata.token_endpoint_auth_method ?? '') || keyedWithClientSecret(metadata);

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
