// DELETE registration_client_uri: RFC 7592 §2.3. 204, and the client and its token are gone.
import type { Context } from 'koa';
import { NO_STORE } from '../http/errors.ts';
import type { RequestState } from '../http/state.ts';
import { authenticate } from './authenticate.ts';
import type { RegistrationServices } from './services.ts';
import { traceOf } from './decisionLog.ts';

export function remove(services: RegistrationServices) {
  return async (ctx: Context & { state: RequestState }): Promise<void> => {
    const current = await authenticate(ctx, services);
    await services.policy.deleteClient({
      operation: 'delete',
      requestId: ctx.state.requestId,
      clientId: current.clientId,
      request: {},
      client: current.metadata,
      stored: current.metadata,
      trace: traceOf(ctx),
    });
    await services.store.remove(current.clientId);
    ctx.state.log.info({ clientId: current.clientId, operation: 'delete' }, 'client deleted');
    ctx.status = 204;
    ctx.set(NO_STORE);
  };
}
