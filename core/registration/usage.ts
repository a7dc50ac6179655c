// When a client was last used, for inactivity expiry (dynamicClientInactivityExpirationDays):
// recorded at most once an hour, by a conditional write that a concurrent change may win (the
// change's own record is then as recent as it needs to be). Inactive clients are deleted by the
// purger like any other deletion.
import type { ClientRecord, ClientStore } from '../store/index.ts';
import { deleteClient } from './remove.ts';
import type { RegistrationServices } from './services.ts';

const HOUR_MS = 3_600_000;
const PAGE = 200;

/** The record after noting its use now (or as it was, when the last note is under an hour old). */
export async function markUsed(store: ClientStore, record: ClientRecord, now: number): Promise<ClientRecord> {
  if (record.lastUsedAt !== undefined && now - record.lastUsedAt < HOUR_MS) return record;
  const used = { ...record, lastUsedAt: now, revision: record.revision + 1 };
  if (await store.replace(used, record.revision)) return used;
  return (await store.find(record.clientId, now)) ?? record;
}

/** Deletes clients unused for dynamicClientInactivityExpirationDays; returns how many. */
export async function purgeInactive(services: RegistrationServices, now: number): Promise<number> {
  const days = services.config.current.dynamicClientInactivityExpirationDays;
  if (days <= 0) return 0;
  let deleted = 0;
  for (;;) {
    const inactive = await services.store.query({ usedBefore: now - days * 86_400_000 }, now, PAGE);
    for (const record of inactive) if (await deleteClient(services, record, `inactivity-${now}`)) deleted += 1;
    if (inactive.length < PAGE) return deleted;
  }
}
