// A change of a stored client that is not a registration request (an administrator's, the address
// re-check's): made at the authorization server and in the store, both or neither, on the revision
// read (409 when another write won).
import { ChangedMeanwhile } from '../errors/index.ts';
import type { ClientRecord } from '../store/index.ts';
import type { RegistrationServices } from './services.ts';

export async function reviseClient(services: RegistrationServices, record: ClientRecord, change: Partial<ClientRecord>, requestId: string): Promise<ClientRecord> {
  const next = { ...record, ...change, revision: record.revision + 1, updatedAt: services.clock() };
  const policy = services.policy.forRequest({ requestId });
  const written = await services.authorizationServer.commit({ operation: 'admin', requestId, before: record, after: next, policy }, () => services.clients.replace(next, record.revision));
  if (!written) throw new ChangedMeanwhile();
  return next;
}
