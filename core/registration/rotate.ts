// rotateClientRegistrationAccessTokenOnUsage: every read or update answers with a new token
// and the presented one stops working (RFC 7592 §3 allows rotation on any use).
import type { ServerConfig } from '../config/index.ts';
import { Conflict } from '../errors/index.ts';
import { hashToken, newRegistrationAccessToken } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';

export const conflict = () => new Conflict('the client was changed by another request at the same time; read it again and retry');

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
