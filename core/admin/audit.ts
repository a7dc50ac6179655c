// The configuration's audit trail: every change, who made it (the administration client, or the
// DCR_CONFIG file at start) and each property's old and new value, kept in the store and
// readable through the administration API. Changes to properties that can open the server up
// are logged at warn level. Secrets in values are never written out.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { SECURITY_PROPERTIES, type ServerConfig } from '../config/index.ts';
import { InvalidRequest } from '../errors/index.ts';
import { maskSecrets, newTimeOrderedId } from '../secrets/index.ts';
import type { ConfigChange, ConfigurationRecords } from '../store/index.ts';

/** Each property whose value differs, old and new (secrets masked). */
function changesBetween(before: Record<string, unknown>, after: Record<string, unknown>): ConfigChange['changes'] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]))
    .map((property) => ({ property, old: maskSecrets(before[property], property), new: maskSecrets(after[property], property) }));
}

/** Keeps and logs one change; nothing when nothing changed. */
export async function recordChange(
  configuration: ConfigurationRecords,
  logger: Logger,
  entry: { actor: string; revision: number; at: number; before: Record<string, unknown>; after: Record<string, unknown> },
): Promise<void> {
  const changes = changesBetween(entry.before, entry.after);
  if (changes.length === 0) return;
  const record: ConfigChange = { id: newTimeOrderedId(entry.at), at: entry.at, actor: entry.actor, revision: entry.revision, changes };
  await configuration.appendChange(record);
  const sensitive = changes.filter(({ property }) => SECURITY_PROPERTIES.has(property as keyof ServerConfig));
  const fields = { actor: record.actor, revision: record.revision, changes };
  if (sensitive.length > 0) logger.warn({ ...fields, security: sensitive.map(({ property }) => property) }, 'configuration changed, including properties that can open the server up');
  else logger.info(fields, 'configuration changed');
}

/** GET .../config/audit?limit=N: the changes, newest first. */
export function auditTrail(configuration: ConfigurationRecords) {
  return async (ctx: Context): Promise<void> => {
    const limit = ctx.query.limit === undefined ? 100 : Number(ctx.query.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidRequest('limit must be a positive integer');
    ctx.body = { changes: await configuration.listChanges(Math.min(limit, 1000)) };
  };
}
