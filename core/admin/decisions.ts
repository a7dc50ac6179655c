// GET /admin/decisions: the decision log, newest first, filtered by client_id, request_id,
// operation, outcome, script, version (hash prefix) and time (since, until: ISO 8601 or
// milliseconds), paged with an opaque cursor (`next` in the answer, `cursor` in the query).
import type { Context } from 'koa';
import { InvalidRequest } from '../errors/index.ts';
import type { DecisionFilter, DecisionLog } from '../store/index.ts';

const TEXT_FILTERS = [
  ['client_id', 'clientId'],
  ['request_id', 'requestId'],
  ['operation', 'operation'],
  ['outcome', 'outcome'],
  ['script', 'script'],
  ['version', 'version'],
] as const;

function time(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const parsed = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(parsed)) throw new InvalidRequest(`${name} must be an ISO 8601 time or milliseconds since the epoch`);
  return parsed;
}

const encodeCursor = (at: number, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

function decodeCursor(value: unknown): DecisionFilter['before'] {
  if (value === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(String(value), 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    // falls through to the refusal
  }
  throw new InvalidRequest('cursor is not one this server gave');
}

export function decisionLogReader(log: DecisionLog) {
  return async (ctx: Context): Promise<void> => {
    const limit = ctx.query.limit === undefined ? 50 : Number(ctx.query.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidRequest('limit must be a positive integer');
    const filter: DecisionFilter = { limit: Math.min(limit, 200) };
    for (const [parameter, member] of TEXT_FILTERS) {
      const value = ctx.query[parameter];
      if (typeof value === 'string' && value !== '') filter[member] = value;
    }
    const since = time(ctx.query.since, 'since');
    const until = time(ctx.query.until, 'until');
    const before = decodeCursor(ctx.query.cursor);
    if (since !== undefined) filter.since = since;
    if (until !== undefined) filter.until = until;
    if (before) filter.before = before;
    const decisions = await log.list(filter);
    const last = decisions.at(-1);
    ctx.body = { decisions, next: decisions.length === filter.limit && last ? encodeCursor(last.at, last.id) : null };
  };
}
