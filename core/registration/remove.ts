// DELETE registration_client_uri: RFC 7592 §2.3. 204, and the client and its token are gone.
import { NO_STORE } from '../http/errors.ts';
import { storedClientContext } from '../policy/index.ts';
import { authenticate } from './authenticate.ts';
import type { RegistrationContext, RegistrationServices } from './services.ts';

export function remove(services: RegistrationServices) {
  return async (ctx: RegistrationContext): Promise<void> => {
    const { record: current } = await authenticate(ctx, services);
    await ctx.state.policy.deleteClient(storedClientContext('delete', ctx.state.requestId, current.clientId, current.metadata));
    await services.authorizationServer.commit({ operation: 'delete', requestId: ctx.state.requestId, before: current, after: undefined }, () =>
      services.store.remove(current.clientId),
    );
    ctx.state.log.info({ clientId: current.clientId, operation: 'delete' }, 'client deleted');
    ctx.status = 204;
    ctx.set(NO_STORE);
  };
}
