// RFC 7592 §3: management requests carry the registration access token as a Bearer token; open-
// banking profiles also accept the client's access token or its certificate (managementAccess.ts).
// An unknown client and a wrong token get the same 401, after the same work, so a caller
// learns nothing about which client_ids exist.
import type { Context } from 'koa';
import { InvalidRequest, InvalidToken } from '../errors/index.ts';
import { bearerToken } from '../http/index.ts';
import { hashToken, tokenMatches } from '../secrets/index.ts';
import { markUsed, type ClientRecord } from '../store/index.ts';
import type { RegistrationServices } from './services.ts';

import { certificateIdentifies } from './certificate.ts';
import { accessTokenIdentifies } from './managementAccess.ts';
import { certificateChainTrusted, requestCertificate } from '../certificate/index.ts';

const DECOY_HASH = hashToken('decoy');

export function targetClientId(ctx: Context & { params?: Record<string, string> }): string {
  const fromPath = ctx.params?.clientId;
  const fromQuery = ctx.query.client_id;
  const clientId = fromPath ?? (typeof fromQuery === 'string' ? fromQuery : undefined);
  if (!clientId) throw new InvalidRequest('client_id is required, in the path or as ?client_id=');
  return clientId;
}

/**
 * The client the request manages, and the registration access token it presented (undefined when
 * the client was recognised by an access token or its certificate, where the profile allows it).
 */
export async function authenticate(ctx: Context, services: RegistrationServices): Promise<{ record: ClientRecord; token: string | undefined }> {
  const config = services.config.current;
  const clientId = targetClientId(ctx);
  ctx.state.clientId = clientId;
  const token = bearerToken(ctx);
  const certificate = config.dcrAuthorizationWithClientCredentials || config.dcrAuthorizationWithMTLS ? requestCertificate(ctx, config) : undefined;
  if (!token && !(config.dcrAuthorizationWithMTLS && certificate)) throw new InvalidToken('a registration access token is required', { tokenPresented: false });
  const found = await services.clients.find(clientId, services.clock());
  const record = found?.disabled ? undefined : found;
  let registrationAccessToken: string | undefined;
  if (token && tokenMatches(token, record?.registrationAccessTokenHash ?? DECOY_HASH) && record) registrationAccessToken = token;
  else if (!record) throw new InvalidToken('the registration access token is not valid for this client');
  else if (token && !(config.dcrAuthorizationWithClientCredentials && (await accessTokenIdentifies(token, record, certificate, config, services)))) {
    throw new InvalidToken('the registration access token is not valid for this client');
  } else if (!token && !(certificate && (await certificateIdentifies(record.metadata, certificate, services.keySets, certificateChainTrusted(ctx, config))))) {
    throw new InvalidToken('the client certificate does not identify this client', { tokenPresented: false });
  }
  const inactivityExpiry = config.dynamicClientInactivityExpirationDays > 0;
  return { record: inactivityExpiry ? await markUsed(services.clients, record, services.clock()) : record, token: registrationAccessToken };
}
