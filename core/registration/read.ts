// GET registration_client_uri: RFC 7592 §2.1.
import { storedClientContext } from '../policy/index.ts';
import { authenticate } from './authenticate.ts';
import { clientInformation } from './response.ts';
import { rotateTokenIfConfigured } from './rotate.ts';
import { sendClientResponse } from './send.ts';
import type { RegistrationContext, RegistrationServices } from './services.ts';

export function read(services: RegistrationServices) {
  return async (ctx: RegistrationContext): Promise<void> => {
    const config = services.config.current;
    const current = await authenticate(ctx, services);
    const { record, registrationAccessToken } = await rotateTokenIfConfigured(current, services, config);
    const clientSecret =
      config.returnClientSecretOnRead && record.secret !== null ? services.secrets.open(record.secret, record.clientId) : undefined;
    const context = storedClientContext('read', ctx.state.requestId, record.clientId, record.metadata);
    const information = clientInformation(record, services.registrationEndpoint, { clientSecret, registrationAccessToken });
    sendClientResponse(ctx, 200, await ctx.state.policy.modifyResponse('modifyReadResponse', information, context));
  };
}
