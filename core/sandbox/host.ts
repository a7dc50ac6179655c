// The script host: loads the scripts folder, activates each version atomically (compile and
// init off to the side, then swap; the last good version keeps serving when a new one fails),
// and implements the registration decision points by running the scripts' hooks in priority
// order, fail closed.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import { basename, extname, join } from 'node:path';
import { Ajv } from 'ajv';
import type { Logger } from 'pino';
import type { Plugin, PluginServices } from '../../plugins/index.ts';
import { PluginCallError } from '../../plugins/index.ts';
import { AccessDenied, InvalidClientMetadata, OAuthError } from '../errors/index.ts';
import type { ClientCertificate } from '../certificate/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';
import type { ClientResponse, HookContext, KeyHook, KeyHookContext, RegistrationPolicy } from '../registration/index.ts';
import type { ScriptDecision } from '../store/index.ts';
import { ScriptError } from './errors.ts';
import { HOOK_NAMES, REJECTION_CODES, RESULT_VALIDATORS, type HookName } from './hooks.ts';
import { ScriptIsolate, type CallOutcome, type ConsoleLine } from './isolate.ts';
import { compileMatch, type MatchConditions } from './match.ts';
import { parseSettings, type ScriptSettings } from './settings.ts';

export interface HookStats {
  calls: number;
  /** Calls not made because the hook's match condition did not hold. */
  notMatched: number;
  errors: number;
  totalMs: number;
  maxMs: number;
}

interface ScriptVersion {
  name: string;
  file: string;
  code: string;
  hash: string;
  generation: number;
  loadedAt: string;
  settings: ScriptSettings;
  instance: ScriptIsolate;
  rebuilding: Promise<ScriptIsolate> | undefined;
  hooks: Set<string>;
  /** The script's match conditions by hook (see match.ts). */
  match: MatchConditions | undefined;
  inFlight: number;
  retired: boolean;
}

interface ScriptEntry {
  name: string;
  generation: number;
  version: ScriptVersion | undefined;
  state: 'active' | 'failed' | 'disabled' | 'removed';
  lastError: (Record<string, unknown> & { at: string }) | undefined;
  stats: Map<string, HookStats>;
  restarts: number;
}

export interface ScriptHostOptions {
  dir: string;
  logger: Logger;
  plugins: ReadonlyArray<Plugin>;
  services: PluginServices;
  onCall?: (call: { script: string; hook: string; ms: number; decision: string }) => void;
}

export type ScriptEvent = { name: string; generation: number };

const SCRIPT_FILE = /^[A-Za-z0-9][\w.-]*\.(js|ts)$/;

/** The script a file belongs to (`x.js`, `x.ts`, `x.json` → `x`), or undefined for files to ignore. */
export function scriptNameOf(file: string): string | undefined {
  const name = basename(file);
  if (name.startsWith('.') || name.endsWith('~') || name.endsWith('.d.ts') || /\.(swp|swx|tmp|bak)$/.test(name)) return undefined;
  if (SCRIPT_FILE.test(name) || /^[A-Za-z0-9][\w.-]*\.json$/.test(name)) return name.slice(0, -extname(name).length);
  return undefined;
}

/** A short word for the decision log: what a hook answered. */
function describeOutcome(outcome: CallOutcome): string {
  if (outcome.kind === 'rejected') return `rejected:${outcome.code}`;
  const value = outcome.value;
  if (value === undefined || value === null) return 'none';
  if (Array.isArray(value)) return `list(${value.length})`;
  return typeof value === 'object' ? 'object' : String(value);
}

export class ScriptHost extends EventEmitter implements RegistrationPolicy {
  readonly dir: string;
  readonly #logger: Logger;
  readonly #plugins: Map<string, { plugin: Plugin; validate: ReturnType<Ajv['compile']> }>;
  readonly #services: PluginServices;
  readonly #entries = new Map<string, ScriptEntry>();
  /** Every isolate built and not yet disposed (active, draining, or being rebuilt). */
  readonly #isolates = new Set<ScriptIsolate>();
  /** Log lines of requests being dry-run, by request id. */
  readonly #captures = new Map<string, Array<Record<string, unknown>>>();
  /** Told about every hook call (metrics). */
  readonly #onCall: ((call: { script: string; hook: string; ms: number; decision: string }) => void) | undefined;
  /** Serialises activations of one script so generations apply in order. */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(options: ScriptHostOptions) {
    super();
    this.dir = options.dir;
    this.#logger = options.logger.child({ component: 'scripts' });
    this.#services = options.services;
    this.#onCall = options.onCall;
    const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
    this.#plugins = new Map(options.plugins.map((plugin) => [plugin.name, { plugin, validate: ajv.compile(plugin.config) }]));
  }

  /**
   * Loads every script in the folder, and unloads known scripts whose files are gone. Unchanged
   * scripts are left as they are, so a rescan (e.g. after a ConfigMap symlink swap) is cheap.
   */
  async loadAll(): Promise<void> {
    let files: string[] = [];
    try {
      files = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.#logger.warn({ dir: this.dir }, 'the scripts folder does not exist; no scripts loaded');
    }
    const names = new Set(files.map(scriptNameOf).filter((name): name is string => name !== undefined));
    for (const name of this.#entries.keys()) names.add(name);
    await Promise.all([...names].map((name) => this.reload(name)));
  }

  /**
   * The one activation path (file watcher, start-up, tests): reads the script and its settings,
   * builds the new version off to the side and swaps it in, or unloads when the file is gone or
   * disabled. Resolves when this activation is done.
   */
  reload(name: string): Promise<void> {
    const entry = this.#entry(name);
    const generation = ++entry.generation;
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const next = previous.then(() => this.#activate(entry, generation)).catch((err: unknown) => {
      this.#logger.error({ err, script: name }, 'script activation crashed');
    });
    this.#queues.set(name, next);
    return next;
  }

  async #activate(entry: ScriptEntry, generation: number): Promise<void> {
    if (generation !== entry.generation) return; // a newer change is queued behind this one
    const { name } = entry;
    const source = await this.#readSource(name);
    let settingsText: string | undefined;
    try {
      settingsText = await readFile(join(this.dir, `${name}.json`), 'utf8');
    } catch {
      settingsText = undefined;
    }
    if (!source) {
      if (entry.version || entry.state !== 'removed') this.#retire(entry, 'removed');
      return;
    }
    const fail = (err: unknown) => {
      const details = err instanceof ScriptError ? err.toJSON() : { code: 'compile_error', script: name, message: (err as Error).message, file: source.file };
      entry.lastError = { ...details, at: new Date().toISOString() };
      if (!entry.version) entry.state = 'failed';
      this.#logger.error({ script: name, error: entry.lastError }, 'script version refused; the last good version keeps serving');
      this.emit('failed', { name, generation } satisfies ScriptEvent);
    };

    let settings: ScriptSettings;
    try {
      settings = parseSettings(settingsText);
    } catch (err) {
      return fail(new ScriptError('compile_error', name, undefined, `${name}.json: ${(err as Error).message}`, { file: join(this.dir, `${name}.json`) }));
    }
    if (!settings.enabled) {
      this.#retire(entry, 'disabled');
      return;
    }
    const hash = createHash('sha256').update(source.text).update('\0').update(settingsText ?? '').digest('hex');
    if (entry.version?.hash === hash && entry.state === 'active') return; // nothing changed (e.g. a rescan)

    let candidate: ScriptVersion;
    try {
      const granted = this.#grants(name, settings);
      const code = source.file.endsWith('.ts') ? stripTypeScriptTypes(source.text) : source.text;
      const instance = await this.#build(name, source.file, code, settings, granted);
      candidate = {
        name,
        file: source.file,
        code,
        hash,
        generation,
        loadedAt: new Date().toISOString(),
        settings,
        instance,
        rebuilding: undefined,
        hooks: new Set(instance.exported.filter((hook) => (HOOK_NAMES as string[]).includes(hook))),
        match: undefined,
        inFlight: 0,
        retired: false,
      };
      const ungranted = instance.uses.filter((plugin) => !(plugin in settings.plugins));
      if (ungranted.length > 0) {
        this.#discard(instance);
        throw new ScriptError('capability_denied', name, undefined, `the script uses ${ungranted.join(', ')}, not granted in ${name}.json "plugins"`, { file: source.file });
      }
      try {
        candidate.match = compileMatch(await instance.matchDeclaration(settings.properties), candidate.hooks);
      } catch (err) {
        this.#discard(instance);
        throw err instanceof ScriptError ? err : new ScriptError('compile_error', name, undefined, (err as Error).message, { file: source.file });
      }
      if (candidate.hooks.has('init')) {
        try {
          await this.#invoke(candidate, 'init', [settings.properties], undefined, entry);
        } catch (err) {
          this.#discard(instance);
          throw err instanceof ScriptError ? new ScriptError('init_error', name, 'init', err.message, err.location) : err;
        }
      }
    } catch (err) {
      return fail(err);
    }

    if (generation !== entry.generation) {
      this.#discard(candidate.instance); // superseded while building
      return;
    }
    const old = entry.version;
    entry.version = candidate;
    this.#activeByHook.clear();
    entry.state = 'active';
    entry.lastError = undefined;
    if (old) this.#drain(old);
    this.#logger.info({ script: name, generation, hash: candidate.hash.slice(0, 12), hooks: [...candidate.hooks] }, 'script activated');
    this.emit('loaded', { name, generation } satisfies ScriptEvent);
  }

  async #readSource(name: string): Promise<{ file: string; text: string } | undefined> {
    for (const ext of ['.js', '.ts']) {
      const file = join(this.dir, `${name}${ext}`);
      try {
        return { file, text: await readFile(file, 'utf8') };
      } catch {
        // try the next extension
      }
    }
    return undefined;
  }

  /** Plugin name → function names, after validating each granted plugin's configuration. */
  #grants(name: string, settings: ScriptSettings): Record<string, string[]> {
    const granted: Record<string, string[]> = {};
    for (const [pluginName, config] of Object.entries(settings.plugins)) {
      const known = this.#plugins.get(pluginName);
      if (!known) throw new ScriptError('capability_denied', name, undefined, `${name}.json grants unknown plugin "${pluginName}"`);
      if (!known.validate(config)) {
        const reasons = (known.validate.errors ?? []).map((e) => `${e.instancePath || 'config'} ${e.message}`).join('; ');
        throw new ScriptError('compile_error', name, undefined, `${name}.json: plugin ${pluginName} configuration: ${reasons}`);
      }
      granted[pluginName] = Object.keys(known.plugin.functions);
    }
    return granted;
  }

  async #build(name: string, file: string, code: string, settings: ScriptSettings, granted: Record<string, string[]>): Promise<ScriptIsolate> {
    const instance = await ScriptIsolate.create({
      name,
      file,
      code,
      memoryLimitMb: settings.memoryLimitMb,
      timeoutMs: settings.timeoutMs,
      granted,
      dispatch: (plugin, fn, argsJson, requestId) => this.#dispatch(name, settings, plugin, fn, argsJson, requestId),
    });
    this.#isolates.add(instance);
    return instance;
  }

  async #dispatch(script: string, settings: ScriptSettings, plugin: string, fn: string, argsJson: string, requestId: string | undefined): Promise<string | undefined> {
    const args = JSON.parse(argsJson) as unknown[];
    const capture = requestId === undefined ? undefined : this.#captures.get(requestId);
    if (plugin === 'log' && capture) capture.push({ script, level: fn, message: String(args[0]), ...(args[1] && typeof args[1] === 'object' ? { fields: args[1] } : {}) });
    const known = this.#plugins.get(plugin);
    const config = settings.plugins[plugin];
    const call = known?.plugin.functions[fn];
    if (!known || !config || !call) throw new PluginCallError(`host.${plugin}.${fn} is not available to this script`);
    const result = await call(args, { script, requestId, config, services: this.#services });
    return result === undefined ? undefined : JSON.stringify(result);
  }

  /** Unloads the script: no new calls; the isolate goes once calls in flight are done. */
  #retire(entry: ScriptEntry, state: 'removed' | 'disabled'): void {
    const old = entry.version;
    entry.version = undefined;
    this.#activeByHook.clear();
    entry.state = state;
    if (old) this.#drain(old);
    this.#logger.info({ script: entry.name, state }, 'script unloaded');
    this.emit('unloaded', { name: entry.name, generation: entry.generation } satisfies ScriptEvent);
  }

  #drain(version: ScriptVersion): void {
    version.retired = true;
    if (version.inFlight === 0) void this.#dispose(version);
  }

  async #dispose(version: ScriptVersion): Promise<void> {
    if (version.hooks.has('destroy') && !version.instance.dead) {
      await version.instance.call('destroy', [version.settings.properties], version.settings.timeoutMs).catch((err: unknown) => {
        this.#logger.warn({ script: version.name, err }, 'destroy failed');
      });
    }
    this.#discard(version.instance);
  }

  #discard(instance: ScriptIsolate): void {
    instance.dispose();
    this.#isolates.delete(instance);
  }

  #entry(name: string): ScriptEntry {
    let entry = this.#entries.get(name);
    if (!entry) {
      entry = { name, generation: 0, version: undefined, state: 'removed', lastError: undefined, stats: new Map(), restarts: 0 };
      this.#entries.set(name, entry);
    }
    return entry;
  }

  /** Active versions by hook, in priority order; cleared whenever a version comes or goes. */
  readonly #activeByHook = new Map<HookName, ScriptVersion[]>();

  /** Active versions exporting `hook`, in priority order (only `only` when given: dry runs). */
  #active(hook: HookName, only?: string): ScriptVersion[] {
    if (only === undefined) {
      let cached = this.#activeByHook.get(hook);
      if (!cached) this.#activeByHook.set(hook, (cached = this.#collect(hook)));
      return cached;
    }
    return this.#collect(hook, only);
  }

  #collect(hook: HookName, only?: string): ScriptVersion[] {
    return [...this.#entries.values()]
      .map((entry) => entry.version)
      .filter((version): version is ScriptVersion => version !== undefined && version.hooks.has(hook) && (only === undefined || version.name === only))
      .sort((a, b) => a.settings.priority - b.settings.priority || a.name.localeCompare(b.name));
  }

  /**
   * Calls one hook of one version: bounded in flight, timed, stats kept, output validated.
   * Returns undefined when the script failed and its settings say onError: skip.
   */
  async #invoke(
    version: ScriptVersion,
    hook: HookName,
    args: unknown[],
    context: { requestId: string; trace: ScriptDecision[] } | undefined,
    entry = this.#entry(version.name),
  ): Promise<CallOutcome | undefined> {
    const { settings, name } = version;
    // A version retired (and disposed) while a pipeline that listed it was running: it is gone.
    if (version.retired && version.instance.dead) return undefined;
    const requestId = context?.requestId;
    const stats = this.#stats(entry, hook);
    const condition = version.match?.get(hook);
    if (condition && !condition(args[args.length - 1])) {
      // Not this script's business: no call, and the decision log says so.
      stats.notMatched += 1;
      context?.trace.push({ script: name, hook, decision: 'not-matched', ms: 0 });
      return undefined;
    }
    let decision = 'none';
    if (version.inFlight >= settings.maxInFlight) {
      throw new ScriptError('overloaded', name, hook, `${settings.maxInFlight} calls already in flight`);
    }
    version.inFlight += 1;
    const started = performance.now();
    try {
      const ready = this.#instance(version, entry);
      const instance = ready instanceof ScriptIsolate ? ready : await ready;
      const outcome = await instance.call(hook, args, settings.timeoutMs, requestId);
      if (outcome.logs) this.#console(name, outcome.logs);
      if (outcome.kind === 'value' && !RESULT_VALIDATORS.get(hook)!(outcome.value ?? null)) {
        throw new ScriptError('bad_output', name, hook, `${hook} returned a value of the wrong shape: ${JSON.stringify(outcome.value)?.slice(0, 200)}`);
      }
      if (outcome.kind === 'rejected' && !REJECTION_CODES.has(outcome.code)) {
        throw new ScriptError('bad_output', name, hook, `${hook} rejected with unknown error code "${outcome.code}"`);
      }
      decision = describeOutcome(outcome);
      return outcome;
    } catch (err) {
      stats.errors += 1;
      const failure = err instanceof ScriptError ? err : new ScriptError('script_error', name, hook, (err as Error).message);
      if (failure.code !== 'overloaded') entry.lastError = { ...failure.toJSON(), at: new Date().toISOString(), requestId };
      this.#logger.error({ script: name, hook, reqId: requestId, error: failure.toJSON() }, 'script hook failed');
      const skip = settings.onError === 'skip' && hook !== 'init' && failure.code !== 'overloaded';
      decision = `${skip ? 'skipped' : 'failed'}:${failure.code}`;
      if (skip) return undefined;
      throw failure;
    } finally {
      const elapsed = performance.now() - started;
      context?.trace.push({ script: name, hook, decision, ms: Math.round(elapsed * 1000) / 1000 });
      this.#onCall?.({ script: name, hook, ms: elapsed, decision });
      stats.calls += 1;
      stats.totalMs += elapsed;
      stats.maxMs = Math.max(stats.maxMs, elapsed);
      version.inFlight -= 1;
      if (version.retired && version.inFlight === 0) void this.#dispose(version);
    }
  }

  #stats(entry: ScriptEntry, hook: string): HookStats {
    let stats = entry.stats.get(hook);
    if (!stats) entry.stats.set(hook, (stats = { calls: 0, notMatched: 0, errors: 0, totalMs: 0, maxMs: 0 }));
    return stats;
  }

  /** The version's isolate, rebuilt from the same source if a limit killed it. */
  #instance(version: ScriptVersion, entry: ScriptEntry): ScriptIsolate | Promise<ScriptIsolate> {
    if (!version.instance.dead) return version.instance;
    version.rebuilding ??= this.#build(version.name, version.file, version.code, version.settings, this.#grants(version.name, version.settings)).then(
      (instance) => {
        this.#discard(version.instance);
        version.instance = instance;
        version.rebuilding = undefined;
        entry.restarts += 1;
        this.#logger.warn({ script: version.name }, 'script isolate rebuilt after a limit was exceeded');
        this.emit('restarted', { name: version.name, generation: version.generation } satisfies ScriptEvent);
        return instance;
      },
      (err: unknown) => {
        version.rebuilding = undefined;
        throw err;
      },
    );
    return version.rebuilding;
  }

  #scriptContext(version: ScriptVersion, context: HookContext, client: ClientMetadata): Record<string, unknown> {
    const { trace: _trace, onlyScript: _only, ...shared } = context;
    return { ...shared, client, script: version.name, properties: version.settings.properties };
  }

  /** A rejection the script chose, as the RFC error it named. */
  #rejection(outcome: Extract<CallOutcome, { kind: 'rejected' }>): OAuthError {
    return new OAuthError(outcome.code, outcome.description, { status: REJECTION_CODES.get(outcome.code) ?? 400 });
  }

  // --- RegistrationPolicy: the decision points, pipeline hooks in priority order.

  async #clientHook(hook: 'createClient' | 'updateClient', context: HookContext): Promise<ClientMetadata | undefined> {
    let client = context.client;
    let changed = false;
    for (const version of this.#active(hook, context.onlyScript)) {
      const outcome = await this.#invoke(version, hook, [this.#scriptContext(version, context, client)], context);
      if (!outcome) continue;
      if (outcome.kind === 'rejected') throw this.#rejection(outcome);
      if (outcome.value === false) throw new InvalidClientMetadata(`the registration was refused by policy (${version.name})`);
      if (outcome.value === true && outcome.args) {
        // Janssen style: the script changed context.client in place and returned true.
        const modified = (outcome.args[0] as { client?: unknown } | undefined)?.client;
        if (modified && typeof modified === 'object') {
          client = modified as ClientMetadata;
          changed = true;
        }
      } else if (outcome.value && typeof outcome.value === 'object') {
        client = { ...client, ...(outcome.value as ClientMetadata) };
        changed = true;
      }
    }
    return changed ? client : undefined;
  }

  createClient(context: HookContext): Promise<ClientMetadata | undefined> {
    return this.#clientHook('createClient', context);
  }

  updateClient(context: HookContext): Promise<ClientMetadata | undefined> {
    return this.#clientHook('updateClient', context);
  }

  async deleteClient(context: HookContext): Promise<void> {
    for (const version of this.#active('deleteClient', context.onlyScript)) {
      const outcome = await this.#invoke(version, 'deleteClient', [this.#scriptContext(version, context, context.client)], context);
      if (!outcome) continue;
      if (outcome.kind === 'rejected') throw this.#rejection(outcome);
      if (outcome.value === false) throw new AccessDenied(`the deletion was refused by policy (${version.name})`);
    }
  }

  async #listHook(hook: 'modifyScopes' | 'manageClaims', list: string[], context: HookContext): Promise<string[]> {
    let current = list;
    for (const version of this.#active(hook, context.onlyScript)) {
      const outcome = await this.#invoke(version, hook, [current, this.#scriptContext(version, context, context.client)], context);
      if (!outcome) continue;
      if (outcome.kind === 'rejected') throw this.#rejection(outcome);
      current = [...new Set(outcome.value as string[])];
    }
    return current;
  }

  modifyScopes(scopes: string[], context: HookContext): Promise<string[]> {
    return this.#listHook('modifyScopes', scopes, context);
  }

  manageClaims(claims: string[], context: HookContext): Promise<string[]> {
    return this.#listHook('manageClaims', claims, context);
  }

  async #responseHook(hook: 'modifyPostResponse' | 'modifyPutResponse' | 'modifyReadResponse', response: ClientResponse, context: HookContext): Promise<ClientResponse> {
    let current = response;
    for (const version of this.#active(hook, context.onlyScript)) {
      const outcome = await this.#invoke(version, hook, [current, this.#scriptContext(version, context, context.client)], context);
      if (!outcome) continue;
      if (outcome.kind === 'rejected') throw this.#rejection(outcome);
      if (outcome.value === true) current = (outcome.args?.[0] as ClientResponse | undefined) ?? current;
      else if (outcome.value && typeof outcome.value === 'object') current = outcome.value as ClientResponse;
      // false: this script's changes are dropped, the response stays as it was.
    }
    return current;
  }

  modifyPostResponse(response: ClientResponse, context: HookContext): Promise<ClientResponse> {
    return this.#responseHook('modifyPostResponse', response, context);
  }

  modifyPutResponse(response: ClientResponse, context: HookContext): Promise<ClientResponse> {
    return this.#responseHook('modifyPutResponse', response, context);
  }

  modifyReadResponse(response: ClientResponse, context: HookContext): Promise<ClientResponse> {
    return this.#responseHook('modifyReadResponse', response, context);
  }

  async isCertValidForClient(certificate: ClientCertificate, context: HookContext): Promise<void> {
    for (const version of this.#active('isCertValidForClient', context.onlyScript)) {
      const outcome = await this.#invoke(version, 'isCertValidForClient', [certificate, this.#scriptContext(version, context, context.client)], context);
      if (!outcome) continue;
      if (outcome.kind === 'rejected') throw this.#rejection(outcome);
      if (outcome.value !== true) throw new InvalidClientMetadata(`the client certificate was refused by policy (${version.name})`);
    }
  }

  async resolveKey(hook: KeyHook, context: KeyHookContext): Promise<unknown> {
    const { trace: _trace, ...shared } = context;
    for (const version of this.#active(hook)) {
      const outcome = await this.#invoke(version, hook, [{ ...shared, script: version.name, properties: version.settings.properties }], context);
      if (!outcome) continue;
      if (outcome.kind === 'rejected') throw this.#rejection(outcome);
      if (outcome.value !== undefined && outcome.value !== null && outcome.value !== '') return outcome.value;
    }
    return undefined;
  }

  /** Writes a script's console lines to the log (and to a dry run's capture). */
  #console(script: string, lines: ConsoleLine[]): void {
    for (const [requestId, requested, message] of lines) {
      const level = (['debug', 'info', 'warn', 'error'].includes(requested) ? requested : 'info') as 'info';
      this.#logger.child({ script, reqId: requestId || undefined })[level]({ source: 'console' }, message);
      if (requestId) this.#captures.get(requestId)?.push({ script, level, message });
    }
  }

  /** Collects the log lines scripts write while serving `requestId` (dry runs) until `stop` is called. */
  captureLogs(requestId: string): { lines: Array<Record<string, unknown>>; stop(): void } {
    const lines: Array<Record<string, unknown>> = [];
    this.#captures.set(requestId, lines);
    return { lines, stop: () => this.#captures.delete(requestId) };
  }

  /** Whether `name` has an active version. */
  isActive(name: string): boolean {
    return this.#entries.get(name)?.version !== undefined;
  }

  /** What GET /admin/scripts shows. */
  status(): Array<Record<string, unknown>> {
    return [...this.#entries.values()]
      .filter((entry) => entry.version || entry.lastError || entry.state === 'disabled')
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((entry) => {
        const version = entry.version;
        return {
          name: entry.name,
          state: entry.state,
          file: version?.file,
          hash: version?.hash,
          generation: version?.generation,
          loadedAt: version?.loadedAt,
          hooks: version ? [...version.hooks] : [],
          settings: version?.settings,
          inFlight: version?.inFlight ?? 0,
          crossings: version?.instance.crossings ?? 0,
          restarts: entry.restarts,
          lastError: entry.lastError,
          stats: Object.fromEntries(
            [...entry.stats].map(([hook, s]) => [hook, { calls: s.calls, notMatched: s.notMatched, errors: s.errors, meanMs: s.calls ? +(s.totalMs / s.calls).toFixed(3) : 0, maxMs: +s.maxMs.toFixed(3) }]),
          ),
        };
      });
  }

  /**
   * Unloads every script (destroy hooks run), then disposes every isolate still alive, so the
   * process never exits with an isolate left behind. Call it once no request is in flight.
   */
  async close(): Promise<void> {
    await Promise.all(this.#queues.values());
    for (const entry of this.#entries.values()) {
      const version = entry.version;
      entry.version = undefined;
      this.#activeByHook.clear();
      if (version) {
        version.retired = true;
        await this.#dispose(version);
      }
    }
    for (const instance of this.#isolates) instance.dispose();
    this.#isolates.clear();
  }
}
