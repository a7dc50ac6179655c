// GET registration_client_uri: RFC 7592 §2.1.
import type { Context } from 'koa';
import type { RequestState } from '../http/state.ts';
import { authenticate } from './authenticate.ts';
import type { HookContext } from './policy.ts';
import { clientInformation } from './response.ts';
import { rotateTokenIfConfigured } from './rotate.ts';
import { sendClientResponse } from './send.ts';
import type { RegistrationServices } from './services.ts';
import { traceOf } from './decisionLog.ts';

export function read(services: RegistrationServices) {
  return async (ctx: Context & { state: RequestState }): Promise<void> => {
    const config = services.config.current;
    const current = await authenticate(ctx, services);
    const { record, registrationAccessToken } = await rotateTokenIfConfigured(current, services, config);
    const clientSecret =
      config.returnClientSecretOnRead && record.secret !== null ? services.secrets.open(record.secret, record.clientId) : undefined;
    const context: HookContext = {
      operation: 'read',
      requestId: ctx.state.requestId,
      clientId: record.clientId,
      request: {},
      client: record.metadata,
      stored: record.metadata,
      trace: traceOf(ctx),
    };
    const information = clientInformation(record, services.registrationEndpoint, { clientSecret, registrationAccessToken });
    sendClientResponse(ctx, 200, await services.policy.modifyReadResponse(information, context));
  };
}
