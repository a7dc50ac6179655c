// POST {registration_endpoint}: RFC 7591 §3.1 / OpenID Connect DCR §3.1. The numbered steps are
// those of "A registration" in docs/architecture.md; nothing is persisted unless every step succeeded.
import { AccessDenied } from '../errors/index.ts';
import { hashToken, newClientId, newClientSecret, newRegistrationAccessToken } from '../secrets/index.ts';
import { clientExpiry, needsSecret, newRecord } from './credentials.ts';
import { admit } from './admission.ts';
import { draftClient } from './draft.ts';
import { readInitialAccessToken } from './initialAccess.ts';
import { replaceEarlier } from './replace.ts';
import { readRegistrationRequest } from './request.ts';
import { clientInformation } from './response.ts';
import type { RegistrationContext, RegistrationServices } from './services.ts';

export function register(services: RegistrationServices) {
  return async (ctx: RegistrationContext): Promise<void> => {
    const config = services.config.current;
    const now = services.clock();
    const policy = ctx.state.policy;

    // 1. Is registration open at all, and to whom (an initial access token)?
    if (!config.dynamicRegistrationEnabled) throw new AccessDenied('dynamic client registration is disabled');
    const initialAccessToken = await readInitialAccessToken(ctx, services.administration, config, now);

    // 2-4. The request: a JSON object or a verified signed request, its software statement
    //      verified and applied over it, and the client certificate.
    const { metadata: request, statement, signedRequest, certificate } = await readRegistrationRequest(ctx, services, config, 'create');

    // 5-6. Validation, defaults, server decisions, policy hooks.
    const clientId = newClientId();
    ctx.state.clientId = clientId;
    const { client, context } = await draftClient(
      { operation: 'create', request, clientId, stored: undefined, requestId: ctx.state.requestId, statement, signedRequest, certificate, initialAccessToken },
      services,
      config,
      policy,
    );

    // 7. Credentials and expiry.
    const clientSecret = needsSecret(client) ? newClientSecret() : undefined;
    const registrationAccessToken = newRegistrationAccessToken();
    const record = newRecord(
      clientId,
      {
        metadata: client,
        secret: clientSecret === undefined ? null : services.secrets.seal(clientSecret, clientId),
        registrationAccessTokenHash: hashToken(registrationAccessToken),
        expiresAt: clientExpiry(request.lifetime, config, now),
      },
      now,
    );
    if (initialAccessToken) record.initialAccessTokenId = initialAccessToken.id;
    if (statement?.trusted) record.statementIssuer = String(statement.claims.iss);

    // 8. Response policy; its places (token, cap, duplicates); the authorization server and the
    //    store (both or neither); 201; the earlier registrations it replaces.
    const information = clientInformation(record, services.registrationEndpoint, { clientSecret, registrationAccessToken });
    const response = await policy.modifyResponse('modifyPostResponse', information, context);
    const admission = await admit(record, initialAccessToken, services, config, now);
    try {
      await services.authorizationServer.commit({ operation: 'create', requestId: ctx.state.requestId, before: undefined, after: record, policy }, () =>
        services.clients.insert(record),
      );
    } catch (err) {
      await admission.release();
      throw err;
    }
    await replaceEarlier(services, record, ctx.state.requestId, ctx.state.log, admission.replaces);
    ctx.state.log.info({ clientId, operation: 'create' }, 'client registered');
    ctx.status = 201;
    ctx.body = response;
  };
}
