// dynamicRegistrationDuplicatePolicy `replace`: once a client is stored (or, waiting for approval,
// approved), the earlier clients of the same software with the same verified owner are deleted.
// One that cannot be deleted now is logged, not a failed registration: the new client exists.
import type { ClientRecord } from '../store/index.ts';
import { replacedBy } from './admission.ts';
import { deleteClient } from './remove.ts';
import type { RegistrationServices } from './services.ts';

type Log = { info(fields: object, message: string): void; warn(fields: object, message: string): void };

export async function replaceEarlier(services: RegistrationServices, record: ClientRecord, requestId: string, log: Log, earlier?: ClientRecord[]): Promise<void> {
  const replaced = earlier ?? (await replacedBy(record, services, services.config.current, services.clock()));
  for (const client of replaced) {
    await deleteClient(services, client, requestId).then(
      () => log.info({ clientId: client.clientId, replacedBy: record.clientId }, 'client replaced by a registration of the same software'),
      (err: unknown) => log.warn({ clientId: client.clientId, err }, 'deleting a replaced client failed'),
    );
  }
}
