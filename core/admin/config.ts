// The configuration API (Janssen's config-api path, and /admin/config): GET the configuration in
// force; PATCH it with an RFC 6902 JSON Patch (every operation, `test` included). Janssen's own
// examples write paths without the leading slash and "true" for booleans; both are accepted. A
// patch that fails, or whose result fails the configuration schema, answers 400 with the reason
// and changes nothing; an accepted one is stored (other instances pick it up within
// configRefreshIntervalSeconds) and in force for the next request.
import { createHash } from 'node:crypto';
import fastJsonPatch from 'fast-json-patch';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { buildConfig, type ConfigHolder } from '../config/index.ts';
import { Conflict, InvalidRequest, messageOf } from '../errors/index.ts';
import { checkDepth, readRawBody } from '../http/index.ts';
import { describeJsonError } from '../validation/index.ts';
import { everyProcessHasRevision } from '../fleet/index.ts';
import { recordChange } from './audit.ts';
import { waitForFleet, type FleetAccess } from './fleet.ts';
import { maskSecrets, unmaskSecrets } from '../secrets/index.ts';
import type { ConfigurationRecords } from '../store/index.ts';

const { applyPatch, JsonPatchError } = fastJsonPatch;

const OPERATIONS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const pointer = (path: unknown) => (typeof path === 'string' && !path.startsWith('/') && path !== '' ? `/${path}` : path);

function readPatch(text: string): fastJsonPatch.Operation[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequest(`the patch is not valid JSON: ${describeJsonError(text)}`);
  }
  if (!Array.isArray(parsed)) throw new InvalidRequest('a JSON Patch is an array of operations');
  checkDepth(parsed, 'the patch');
  return parsed.map((operation, index) => {
    if (!operation || typeof operation !== 'object' || !OPERATIONS.has((operation as { op?: string }).op ?? '')) {
      throw new InvalidRequest(`operation ${index} is not a JSON Patch operation (op must be one of ${[...OPERATIONS].join(', ')})`);
    }
    const { path, from } = operation as { path?: unknown; from?: unknown };
    return { ...operation, path: pointer(path), ...(from === undefined ? {} : { from: pointer(from) }) } as fastJsonPatch.Operation;
  });
}

/** The configuration as the API shows it: secrets are write-only (masked for every reader, as in the audit trail). */
const shown = (config: ConfigHolder) => maskSecrets(config.current);

export function getConfig(config: ConfigHolder) {
  return (ctx: Context) => {
    ctx.set('ETag', `"${config.revision}"`);
    ctx.body = shown(config);
  };
}

/** The longest a PATCH may wait for every process to have its change (`?wait=N`). */
const MAX_WAIT_SECONDS = 60;

/**
 * PATCH: an RFC 6902 patch of the configuration as GET shows it. `?wait=N` (seconds) answers once
 * every process of the fleet reports the new revision, or after N seconds; the answer's
 * `Registrar-Propagation` header says how many processes have it (`2/2`).
 */
export function patchConfig(config: ConfigHolder, configuration: ConfigurationRecords, fleet: FleetAccess, clock: () => number) {
  return async (ctx: Context): Promise<void> => {
    const wait = ctx.query.wait === undefined ? undefined : Number(ctx.query.wait);
    if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0 && wait <= MAX_WAIT_SECONDS)) {
      ctx.req.resume();
      throw new InvalidRequest(`wait is a number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
    }
    if (!['application/json-patch+json', 'application/json'].includes(ctx.request.type)) {
      ctx.req.resume();
      throw new InvalidRequest('send the patch as application/json-patch+json');
    }
    const operations = readPatch((await readRawBody(ctx, 256 * 1024)).toString('utf8'));
    let patched: Record<string, unknown>;
    try {
      // The patch applies to the document as the API shows it; a masked secret left as it was read keeps its value.
      const applied = applyPatch(shown(config) as Record<string, unknown>, operations, true, false).newDocument;
      patched = unmaskSecrets(applied, config.current) as Record<string, unknown>;
    } catch (err) {
      const reason = err instanceof JsonPatchError ? `${err.name}: ${err.message.split('\n')[0]} (operation ${err.index ?? '?'})` : messageOf(err);
      throw new InvalidRequest(`the patch cannot be applied: ${reason}`);
    }
    const revision = config.revision;
    let next;
    try {
      // Validate (and coerce "true" to true) before anything is written.
      next = buildConfig(patched, { coerce: true });
    } catch (err) {
      throw new InvalidRequest(messageOf(err));
    }
    const properties = JSON.parse(JSON.stringify(next)) as Record<string, unknown>;
    const before = config.current as Record<string, unknown>;
    const at = clock();
    if (!(await configuration.write(properties, revision, at))) {
      throw new Conflict('the configuration was changed by another request at the same time; read it again and retry');
    }
    config.replace(properties, (await configuration.read())?.revision ?? revision + 1);
    const actor = (ctx.state as { admin?: { clientId: string } }).admin?.clientId ?? 'unknown';
    await recordChange(configuration, ctx.state.log, { actor, revision: config.revision, at, before, after: config.current as Record<string, unknown> });
    if (wait !== undefined) {
      const target = config.revision;
      const { view } = await waitForFleet(fleet, (current) => everyProcessHasRevision(current, target), wait * 1000);
      const have = view.processes.filter((report) => report.configurationRevision >= target).length;
      ctx.set('Registrar-Propagation', `${have}/${view.processes.length}`);
    }
    ctx.set('ETag', `"${config.revision}"`);
    ctx.body = shown(config);
  };
}

/** Follows configuration written by other processes sharing the store: every interval, and at once when told (`now`). */
export function followStoredConfig(
  config: ConfigHolder,
  configuration: ConfigurationRecords,
  intervalMs: () => number,
  onError: (err: unknown) => void,
): { now(): Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const read = async () => {
    try {
      const stored = await configuration.read();
      if (stored && stored.revision !== config.revision) config.replace(stored.properties, stored.revision);
    } catch (err) {
      onError(err);
    }
  };
  const tick = async () => {
    await read();
    if (!stopped) timer = setTimeout(tick, intervalMs()).unref();
  };
  timer = setTimeout(tick, intervalMs()).unref();
  return {
    now: read,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * The configuration in force at start, by one rule, the same at every start of every process:
 * the stored configuration (what the config API changed) holds, except that a DCR_CONFIG file
 * whose content was never applied to this store is applied first, whole, as a new revision (its
 * hash is stored with it). A restart with the same file, a worker replaced, another instance
 * starting: none changes the configuration. With no stored configuration and no file, the
 * defaults are stored. Says where the configuration came from, for the start-up line.
 */
export async function settleConfiguration(
  configuration: ConfigurationRecords,
  config: ConfigHolder,
  file: { path: string; properties: Record<string, unknown> } | undefined,
  clock: () => number,
  logger: Logger,
): Promise<string> {
  const hash = file ? createHash('sha256').update(JSON.stringify(file.properties)).digest('hex') : undefined;
  // Another process of the deployment may write first: read again, and its write may be the one wanted.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const stored = await configuration.read();
    if (stored && (!file || stored.fileHash === hash)) {
      config.replace(stored.properties, stored.revision);
      return file ? `stored revision ${stored.revision} (${file.path} unchanged since it was applied)` : `stored revision ${stored.revision}`;
    }
    const properties = file?.properties ?? {};
    const at = clock();
    if (!(await configuration.write(properties, stored?.revision ?? 0, at, hash))) continue;
    const revision = (stored?.revision ?? 0) + 1;
    config.replace(properties, revision);
    if (stored && file) {
      const before = buildConfig(stored.properties) as Record<string, unknown>;
      await recordChange(configuration, logger, { actor: 'DCR_CONFIG', revision, at, before, after: config.current as Record<string, unknown> });
    }
    return file ? `${file.path}, applied as revision ${revision}` : 'defaults';
  }
  throw new TypeError('the stored configuration kept changing while this process started; start it again');
}
