// rotateClientRegistrationAccessTokenOnUsage: every read or update answers with a new token
// and the presented one stops working (RFC 7592 §3 allows rotation on any use).
import type { ServerConfig } from '../config/index.ts';
import { Conflict } from '../errors/index.ts';
import { hashToken, newRegistrationAccessToken } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';
import type { RegistrationServices } from './services.ts';

export const conflict = () => new Conflict('the client was changed by another request at the same time; read it again and retry');

/** A new token for `record` when rotation is on (returned with the record to store), else none. */
export function nextToken(record: ClientRecord, config: ServerConfig): { tokenHash: string; registrationAccessToken: string | undefined } {
  if (!config.rotateClientRegistrationAccessTokenOnUsage) return { tokenHash: record.registrationAccessTokenHash, registrationAccessToken: undefined };
  const registrationAccessToken = newRegistrationAccessToken();
  return { tokenHash: hashToken(registrationAccessToken), registrationAccessToken };
}

export async function rotateTokenIfConfigured(
  record: ClientRecord,
  services: RegistrationServices,
  config: ServerConfig,
): Promise<{ record: ClientRecord; registrationAccessToken: string | undefined }> {
  const { tokenHash, registrationAccessToken } = nextToken(record, config);
  if (registrationAccessToken === undefined) return { record, registrationAccessToken };
  const rotated: ClientRecord = {
    ...record,
    registrationAccessTokenHash: tokenHash,
    revision: record.revision + 1,
    updatedAt: services.clock(),
  };
  if (!(await services.store.replace(rotated, record.revision))) throw conflict();
  return { record: rotated, registrationAccessToken };
}
