// RFC 7592 §3: management requests carry the registration access token as a Bearer token.
// An unknown client and a wrong token get the same 401, after the same work, so a caller
// learns nothing about which client_ids exist.
import type { Context } from 'koa';
import { InvalidRequest, InvalidToken } from '../errors/index.ts';
import { bearerToken } from '../http/bearer.ts';
import { hashToken, tokenMatches } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';
import type { RegistrationServices } from './services.ts';
import { markUsed } from './usage.ts';

const DECOY_HASH = hashToken('decoy');

export function targetClientId(ctx: Context & { params?: Record<string, string> }): string {
  const fromPath = ctx.params?.clientId;
  const fromQuery = ctx.query.client_id;
  const clientId = fromPath ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
  if (!clientId) throw new InvalidRequest('client_id is required, in the path or as ?client_id=');
  return clientId;
}

/** The client the request manages, and the registration access token it presented. */
export async function authenticate(ctx: Context, services: RegistrationServices): Promise<{ record: ClientRecord; token: string }> {
  const clientId = targetClientId(ctx);
  ctx.state.clientId = clientId;
  const token = bearerToken(ctx);
  if (!token) throw new InvalidToken('a registration access token is required', { tokenPresented: false });
  const record = await services.store.find(clientId, services.clock());
  const matches = tokenMatches(token, record?.registrationAccessTokenHash ?? DECOY_HASH);
  if (!record || !matches || record.disabled) throw new InvalidToken('the registration access token is not valid for this client');
  const inactivityExpiry = services.config.current.dynamicClientInactivityExpirationDays > 0;
  return { record: inactivityExpiry ? await markUsed(services.store, record, services.clock()) : record, token };
}
