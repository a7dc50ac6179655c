// The stored form of a client, made in one place for a new registration and for a revision.
import type { ClientMetadata } from '../metadata/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { epochSeconds } from './credentials.ts';

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
