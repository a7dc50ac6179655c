// POST {registration_endpoint}: RFC 7591 §3.1 / OpenID Connect DCR §3.1. The steps follow
// DESIGN.md's request flow; nothing is persisted unless every step succeeded.
import type { Context } from 'koa';
import { AccessDenied } from '../errors/index.ts';
import type { RequestState } from '../http/state.ts';
import { hashToken, newClientId, newClientSecret, newRegistrationAccessToken } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { clientExpiry, epochSeconds, needsSecret } from './credentials.ts';
import { draftClient } from './draft.ts';
import { readRegistrationRequest } from './request.ts';
import { clientInformation } from './response.ts';
import type { RegistrationServices } from './services.ts';
import { traceOf } from './decisionLog.ts';
import { sendClientResponse } from './send.ts';

export function register(services: RegistrationServices) {
  return async (ctx: Context & { state: RequestState }): Promise<void> => {
    const config = services.config.current;
    const now = services.clock();

    // 1. Is registration open at all?
    if (!config.dynamicRegistrationEnabled) throw new AccessDenied('dynamic client registration is disabled');

    // 2. The request: a JSON object or a verified signed request; 3. its software statement,
    //    verified, applied over it. (Client certificates will join here.)
    const { metadata: request, statement, signedRequest, certificate } = await readRegistrationRequest(ctx, services, config, 'create');

    // 5-6. Validation, defaults, server decisions, policy hooks.
    const clientId = newClientId();
    ctx.state.clientId = clientId;
    const { client, context } = await draftClient(
      { operation: 'create', request, clientId, stored: undefined, requestId: ctx.state.requestId, trace: traceOf(ctx), statement, signedRequest, certificate },
      services,
      config,
    );

    // 7. Credentials and expiry.
    const expiresAt = clientExpiry(request.lifetime, config, now);
    const clientSecret = needsSecret(client) ? newClientSecret() : undefined;
    const registrationAccessToken = newRegistrationAccessToken();
    const record: ClientRecord = {
      clientId,
      metadata: client,
      secret: clientSecret === undefined ? null : services.secrets.seal(clientSecret, clientId),
      registrationAccessTokenHash: hashToken(registrationAccessToken),
      clientIdIssuedAt: epochSeconds(now),
      clientSecretExpiresAt: expiresAt === null ? 0 : epochSeconds(expiresAt),
      expiresAt,
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };

    // 8. Response policy, then persist, then 201.
    const information = clientInformation(record, services.registrationEndpoint, { clientSecret, registrationAccessToken });
    const response = await services.policy.modifyPostResponse(information, context);
    await services.store.insert(record);
    ctx.state.log.info({ clientId, operation: 'create' }, 'client registered');
    sendClientResponse(ctx, 201, response);
  };
}
