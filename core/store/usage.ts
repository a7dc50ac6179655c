// When a client was last used, for inactivity expiry (dynamicClientInactivityExpirationDays):
// recorded at most once an hour, by a conditional write that a concurrent change may win (the
// change's own record is then as recent as it needs to be). Anything that finds a client for use
// (management requests, the node-oidc-provider adapter) notes it here.
import type { ClientRecord } from './records.ts';
import type { ClientRecords } from './roles.ts';

const HOUR_MS = 3_600_000;

/** The record after noting its use now (or as it was, when the last note is under an hour old). */
export async function markUsed(clients: ClientRecords, record: ClientRecord, now: number): Promise<ClientRecord> {
  if (record.lastUsedAt !== undefined && now - record.lastUsedAt < HOUR_MS) return record;
  const used = { ...record, lastUsedAt: now, revision: record.revision + 1 };
  if (await clients.replace(used, record.revision)) return used;
  return (await clients.find(record.clientId, now)) ?? record;
}
