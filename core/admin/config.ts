// The configuration API (Janssen's config-api path, and /admin/config): GET the configuration in
// force; PATCH it with an RFC 6902 JSON Patch (every operation, `test` included). Janssen's own
// examples write paths without the leading slash and "true" for booleans; both are accepted. A
// patch that fails, or whose result fails the configuration schema, answers 400 with the reason
// and changes nothing; an accepted one is stored (other instances pick it up within
// configRefreshIntervalSeconds) and in force for the next request.
import fastJsonPatch from 'fast-json-patch';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { buildConfig, type ConfigHolder } from '../config/index.ts';
import { Conflict, InvalidRequest, messageOf } from '../errors/index.ts';
import { checkDepth, readRawBody } from '../http/index.ts';
import { describeJsonError } from '../validation/index.ts';
import { recordChange } from './audit.ts';
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

export function patchConfig(config: ConfigHolder, configuration: ConfigurationRecords, clock: () => number) {
  return async (ctx: Context): Promise<void> => {
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
    ctx.set('ETag', `"${config.revision}"`);
    ctx.body = shown(config);
  };
}

/** Follows configuration written by other instances sharing the store. */
export function followStoredConfig(config: ConfigHolder, configuration: ConfigurationRecords, intervalMs: () => number, onError: (err: unknown) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const stored = await configuration.read();
      if (stored && stored.revision !== config.revision) config.replace(stored.properties, stored.revision);
    } catch (err) {
      onError(err);
    }
    timer = setTimeout(tick, intervalMs()).unref();
  };
  timer = setTimeout(tick, intervalMs()).unref();
  return () => clearTimeout(timer);
}

/**
 * The configuration in force at start: a DCR_CONFIG file, when given, is written to the store
 * (so every instance sharing it follows); otherwise the stored configuration, if any, is used.
 */
export async function settleConfiguration(
  configuration: ConfigurationRecords,
  config: ConfigHolder,
  fileProperties: Record<string, unknown>,
  fromFile: boolean,
  clock: () => number,
  logger: Logger,
): Promise<void> {
  const stored = await configuration.read();
  if (fromFile || !stored) {
    if (stored && JSON.stringify(stored.properties) === JSON.stringify(fileProperties)) {
      config.replace(fileProperties, stored.revision);
      return;
    }
    const before = stored ? (buildConfig(stored.properties) as Record<string, unknown>) : undefined;
    const at = clock();
    await configuration.write(fileProperties, stored?.revision ?? 0, at);
    config.replace(fileProperties, (await configuration.read())?.revision ?? 0);
    if (before && fromFile) await recordChange(configuration, logger, { actor: 'DCR_CONFIG', revision: config.revision, at, before, after: config.current as Record<string, unknown> });
    return;
  }
  config.replace(stored.properties, stored.revision);
}
