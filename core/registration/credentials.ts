// What the server issues with a client and keeps of it: client_secret (for secret-based
// authentication methods), the registration access token (rotated on use when
// rotateClientRegistrationAccessTokenOnUsage says so: RFC 7592 §3 allows it on any use), the
// expiry, and the stored record, made in one place for a new registration and for a revision.
import type { ServerConfig } from '../config/index.ts';
import { InvalidClientMetadata } from '../errors/index.ts';
import { keyedWithClientSecret, type ClientMetadata } from '../metadata/index.ts';
import { hashToken, newRegistrationAccessToken } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';

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

export interface RecordContent {
  metadata: ClientMetadata;
  /** The sealed client secret, or null when the client has none. */
  secret: string | null;
  registrationAccessTokenHash: string;
  /** When the client expires (ms), or null for never. */
  expiresAt: number | null;
}

const expiry = (expiresAt: number | null) => ({ expiresAt, clientSecretExpiresAt: expiresAt === null ? 0 : epochSeconds(expiresAt) });

export function newRecord(clientId: string, content: RecordContent, now: number): ClientRecord {
  const { metadata, secret, registrationAccessTokenHash, expiresAt } = content;
  return { clientId, metadata, secret, registrationAccessTokenHash, clientIdIssuedAt: epochSeconds(now), ...expiry(expiresAt), createdAt: now, updatedAt: now, revision: 1 };
}

export function revisedRecord(current: ClientRecord, content: RecordContent, now: number): ClientRecord {
  const { metadata, secret, registrationAccessTokenHash, expiresAt } = content;
  return { ...current, metadata, secret, registrationAccessTokenHash, ...expiry(expiresAt), updatedAt: now, revision: current.revision + 1 };
}

/**
 * The token a read or update answers with (RFC 7592 §3): a new one when rotation is on, stored
 * only together with the answer that delivers it; otherwise the one presented, if the request
 * presented one (a client recognised by an access token or its certificate gets none).
 */
export function nextToken(config: ServerConfig, record: ClientRecord, presented: string | undefined): { tokenHash: string; registrationAccessToken: string | undefined } {
  if (!config.rotateClientRegistrationAccessTokenOnUsage) return { tokenHash: record.registrationAccessTokenHash, registrationAccessToken: presented };
  const registrationAccessToken = newRegistrationAccessToken();
  return { tokenHash: hashToken(registrationAccessToken), registrationAccessToken };
}
