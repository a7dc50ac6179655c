// DELETE registration_client_uri: RFC 7592 §2.3. 204, and the client and its token are gone.
// Every other way a client goes (an administrator, a rejected approval, a replacing
// registration, inactivity) deletes it the same way: at the authorization server and in the
// store, both or neither, and its places in the registration limits are given back.
import { storedClientContext } from '../policy/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { releasePlaces } from './admission.ts';
import { authenticate } from './authenticate.ts';
import type { RegistrationContext, RegistrationServices } from './services.ts';

/** Deletes the client everywhere; false when it was already gone from the store. */
export async function deleteClient(services: RegistrationServices, record: ClientRecord, requestId: string): Promise<boolean> {
  const removed = await services.authorizationServer.commit({ operation: 'delete', requestId, before: record, after: undefined }, () => services.clients.remove(record.clientId));
  await releasePlaces(services, record);
  return removed;
}

export function remove(services: RegistrationServices) {
  return async (ctx: RegistrationContext): Promise<void> => {
    const { record: current } = await authenticate(ctx, services);
    await ctx.state.policy.deleteClient(storedClientContext('delete', ctx.state.requestId, current.clientId, current.metadata));
    await deleteClient(services, current, ctx.state.requestId);
    ctx.state.log.info({ clientId: current.clientId, operation: 'delete' }, 'client deleted');
    ctx.status = 204;
  };
}
