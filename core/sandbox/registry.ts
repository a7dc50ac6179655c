// The active versions: the one activation path (compile and init off to the side, then swap;
// the last good version keeps serving when a new one fails), retirement once drained, and the
// per-hook lists of active versions the decisions run over.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { HOOK_NAMES, type HookName } from '../policy/index.ts';
import { ScriptError } from './errors.ts';
import { filesState, readScriptSource, readSettingsText } from './files.ts';
import type { CallScope, InvokerOptions } from './invoke.ts';
import { invoke } from './invoke.ts';
import { ScriptIsolate, type CallOutcome } from './isolate.ts';
import { compileMatch } from './match.ts';
import { CpuMeter } from './cpu.ts';
import type { MemoryBudget } from './memory.ts';
import type { PluginGrants } from './plugins.ts';
import { parseSettings, type ScriptSettings } from './settings.ts';
import { byPriority, type ScriptEntry, type ScriptVersion } from './versions.ts';
import { messageOf } from '../errors/index.ts';

export type ScriptEvent = { name: string; generation: number };

export interface RegistryOptions extends Pick<InvokerOptions, 'logger' | 'logs' | 'onCall'> {
  dir: string;
  plugins: PluginGrants;
  /**
   * How long a change that removes policy (the script's file gone, or a version exporting fewer
   * hooks) must stand still before it applies; the version in force serves meanwhile.
   */
  holdMs: number;
  /** The isolate heap every script host of the process shares. */
  memory: MemoryBudget;
}

/** A change that removes policy, held until the script's files have stood still for holdMs. */
interface Held {
  /** The script's files when the change was first seen (size, modification time, inode). */
  files: string;
  since: number;
  timer: NodeJS.Timeout;
}

export class ScriptRegistry extends EventEmitter {
  readonly dir: string;
  readonly entries = new Map<string, ScriptEntry>();
  readonly #logger: Logger;
  readonly #plugins: PluginGrants;
  readonly #invoker: InvokerOptions;
  /** Every isolate built and not yet disposed (active, draining, or being rebuilt). */
  readonly #isolates = new Set<ScriptIsolate>();
  /** Serialises activations of one script so generations apply in order. */
  readonly #queues = new Map<string, Promise<void>>();
  /** Active versions by hook, in priority order; cleared whenever a version comes or goes. */
  readonly #activeByHook = new Map<HookName, ScriptVersion[]>();
  readonly #holdMs: number;
  readonly #held = new Map<string, Held>();
  readonly #memory: MemoryBudget;

  constructor(options: RegistryOptions) {
    super();
    this.dir = options.dir;
    this.#logger = options.logger;
    this.#plugins = options.plugins;
    this.#holdMs = options.holdMs;
    this.#memory = options.memory;
    this.#invoker = {
      logger: options.logger,
      logs: options.logs,
      onCall: options.onCall,
      instanceOf: (version, entry) => this.#instance(version, entry),
      drained: (version) => void this.#dispose(version),
    };
  }

  /** Calls one hook of one active version (see invoke.ts). */
  call(version: ScriptVersion, hook: HookName, args: unknown[], scope: CallScope | undefined): Promise<CallOutcome | undefined> {
    return invoke(this.#invoker, this.entry(version.name), version, hook, args, scope);
  }

  /**
   * Reads the script and its settings, builds the new version off to the side and swaps it in, or
   * unloads when the file is gone or disabled. Resolves when this activation is done.
   */
  reload(name: string): Promise<void> {
    const entry = this.entry(name);
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
    let source: Awaited<ReturnType<typeof readScriptSource>>;
    let settingsText: string | undefined;
    try {
      source = await readScriptSource(this.dir, name);
      settingsText = await readSettingsText(this.dir, name);
    } catch (err) {
      // Unreadable (permissions, a folder where the file should be): the script is there and not in force.
      entry.lastError = { code: 'compile_error', script: name, message: `the script cannot be read: ${messageOf(err)}`, at: new Date().toISOString() };
      if (!entry.version) this.#failClosed(entry, undefined);
      this.#logger.error({ script: name, error: entry.lastError }, 'script version refused; the last good version keeps serving');
      this.emit('failed', { name, generation } satisfies ScriptEvent);
      return;
    }
    if (!source) {
      if (entry.version && (await this.#holding(entry, 'the file is gone'))) return;
      if (entry.version || entry.state !== 'removed') this.#retire(entry, 'removed');
      return;
    }
    const fail = (err: unknown) => {
      const details = err instanceof ScriptError ? err.toJSON() : { code: 'compile_error', script: name, message: messageOf(err), file: source.file };
      entry.lastError = { ...details, at: new Date().toISOString() };
      if (!entry.version) this.#failClosed(entry, settingsText);
      if (entry.version) this.#logger.error({ script: name, error: entry.lastError }, 'script version refused; the last good version keeps serving');
      else if (entry.gap?.failOpen) this.#logger.error({ script: name, error: entry.lastError }, 'script refused and none in force; passed over (onError: skip)');
      else if (entry.gap) this.#logger.error({ script: name, error: entry.lastError, hooks: entry.gap.hooks }, 'script refused and none in force: the decisions it would make refuse until it compiles or is disabled');
      else this.#logger.error({ script: name, error: entry.lastError }, 'script refused (a shadow script: nothing is enforced meanwhile)');
      this.emit('failed', { name, generation } satisfies ScriptEvent);
    };

    // An in-place (non-atomic) save shows a file empty or half written: never a version to run.
    if (source.changing) return fail(new ScriptError('compile_error', name, undefined, 'the file changed while it was read; waiting for the save to finish', { file: source.file }));
    if (source.text.trim() === '') return fail(new ScriptError('compile_error', name, undefined, 'the file is empty (a save in progress?); delete it to unload the script', { file: source.file }));

    let settings: ScriptSettings;
    try {
      settings = parseSettings(settingsText);
    } catch (err) {
      return fail(new ScriptError('compile_error', name, undefined, `${name}.json: ${messageOf(err)}`, { file: join(this.dir, `${name}.json`) }));
    }
    if (!settings.enabled) {
      this.#retire(entry, 'disabled');
      return;
    }
    const hash = createHash('sha256').update(source.text).update('\0').update(settingsText ?? '').digest('hex');
    if (entry.version?.hash === hash && entry.state === 'active') {
      // The file is back to the active version (a failed save undone): its failure is history, and a held change is void.
      entry.lastError = undefined;
      this.#release(name);
      return;
    }

    let candidate: ScriptVersion;
    try {
      candidate = await this.#candidate(entry, generation, source, settings, hash);
    } catch (err) {
      return fail(err);
    }
    if (generation !== entry.generation) {
      candidate.instance.dispose(); // superseded while building
      return;
    }
    const dropped = entry.version ? [...entry.version.hooks].filter((hook) => !candidate.hooks.has(hook)) : [];
    if (dropped.length > 0 && (await this.#holding(entry, `the new version no longer exports ${dropped.join(', ')}`))) {
      candidate.instance.dispose();
      return;
    }
    this.#release(name);
    const old = entry.version;
    entry.version = candidate;
    this.#activeByHook.clear();
    entry.state = 'active';
    entry.gap = undefined;
    entry.lastError = undefined;
    const gone = old ? [...old.hooks].filter((hook) => !candidate.hooks.has(hook)) : [];
    entry.notice = gone.length > 0 ? `hooks no longer exported: ${gone.join(', ')}` : undefined;
    if (old) this.#drain(old);
    if (entry.notice) this.#logger.warn({ script: name, generation, removed: gone }, `script activated; ${entry.notice}`);
    this.#logger.info({ script: name, generation, hash: candidate.hash.slice(0, 12), hooks: [...candidate.hooks] }, 'script activated');
    this.emit('loaded', { name, generation } satisfies ScriptEvent);
  }

  /**
   * Whether a change that removes policy waits: until the script's files have stood still for
   * holdMs, so a save caught half-way (a file truncated, then written again; moved aside, then
   * written anew) never leaves the script's registrations unguarded. True while it waits (the
   * version in force serves; the change is tried again when the time is up), false once it may
   * apply.
   */
  async #holding(entry: ScriptEntry, why: string): Promise<boolean> {
    if (this.#holdMs <= 0) return false;
    const { name } = entry;
    const files = await filesState(this.dir, name);
    const held = this.#held.get(name);
    if (held && held.files === files && Date.now() - held.since >= this.#holdMs) {
      this.#release(name);
      this.#logger.warn({ script: name, heldMs: Date.now() - held.since, why }, 'a change that removes policy applies: the files stood still');
      return false;
    }
    if (held?.files === files) return true;
    if (held) clearTimeout(held.timer);
    const timer = setTimeout(() => void this.reload(name), this.#holdMs + 10);
    timer.unref();
    this.#held.set(name, { files, since: Date.now(), timer });
    entry.notice = `a change that removes policy is held until the files stand still for ${this.#holdMs} ms: ${why}`;
    if (!held) this.#logger.warn({ script: name, why, holdMs: this.#holdMs }, 'a change that removes policy is held; the version in force keeps serving');
    return true;
  }

  #release(name: string): void {
    const held = this.#held.get(name);
    if (!held) return;
    clearTimeout(held.timer);
    this.#held.delete(name);
    const entry = this.entries.get(name);
    if (entry?.notice?.startsWith('a change that removes policy is held')) entry.notice = undefined;
  }

  /** A new version, built, its grants and match conditions checked and its init run. Throws a ScriptError. */
  async #candidate(entry: ScriptEntry, generation: number, source: { file: string; text: string }, settings: ScriptSettings, hash: string): Promise<ScriptVersion> {
    const { name } = entry;
    const code = source.file.endsWith('.ts') ? stripTypeScriptTypes(source.text) : source.text;
    const instance = await this.#build(name, source.file, code, settings);
    try {
      const hooks = new Set(HOOK_NAMES.filter((hook) => instance.exported.includes(hook)));
      const missing = (settings.hooks ?? []).filter((hook) => !hooks.has(hook));
      if (missing.length > 0) {
        throw new ScriptError('compile_error', name, undefined, `the script does not export ${missing.join(', ')}, which ${name}.json "hooks" declares`, { file: source.file });
      }
      const ungranted = instance.uses.filter((plugin) => !(plugin in settings.plugins));
      if (ungranted.length > 0) {
        throw new ScriptError('capability_denied', name, undefined, `the script uses ${ungranted.join(', ')}, not granted in ${name}.json "plugins"`, { file: source.file });
      }
      let match;
      try {
        match = compileMatch(await instance.matchDeclaration(settings.properties), hooks);
      } catch (err) {
        throw err instanceof ScriptError ? err : new ScriptError('compile_error', name, undefined, messageOf(err), { file: source.file });
      }
      const loadedAt = new Date().toISOString();
      const candidate: ScriptVersion = { name, file: source.file, code, hash, generation, loadedAt, settings, instance, rebuilding: undefined, hooks, match, inFlight: 0, retired: false };
      if (hooks.has('init')) {
        try {
          await invoke(this.#invoker, entry, candidate, 'init', [settings.properties], undefined);
        } catch (err) {
          throw err instanceof ScriptError ? new ScriptError('init_error', name, 'init', err.message, err.location) : err;
        }
      }
      return candidate;
    } catch (err) {
      instance.dispose();
      throw err;
    }
  }

  async #build(name: string, file: string, code: string, settings: ScriptSettings): Promise<ScriptIsolate> {
    const memory = this.#memory;
    const mb = settings.memoryLimitMb;
    if (!memory.take(mb)) {
      throw new ScriptError('memory_limit', name, undefined, `the sandbox memory budget (DCR_SANDBOX_MEMORY_MB, ${memory.limitMb} MB) cannot hold another ${mb} MB isolate: ${memory.heldMb} MB are held`);
    }
    let instance: ScriptIsolate;
    try {
      instance = await ScriptIsolate.create({
      name,
      file,
      code,
      memoryLimitMb: settings.memoryLimitMb,
      timeoutMs: settings.timeoutMs,
      granted: this.#plugins.grants(name, settings),
      dispatch: this.#plugins.dispatcher(name, settings),
      pluginBudget: { calls: settings.maxPluginCallsPerHook, bytes: settings.maxPluginBytesPerHook },
      onCpu: (ms) => this.entries.get(name)?.cpu.charge(ms),
      onDisposed: () => {
        this.#isolates.delete(instance);
        memory.give(mb);
      },
    });
    } catch (err) {
      memory.give(mb);
      throw err;
    }
    this.#isolates.add(instance);
    return instance;
  }

  /** The version's isolate, rebuilt from the same source if a limit killed it. */
  #instance(version: ScriptVersion, entry: ScriptEntry): ScriptIsolate | Promise<ScriptIsolate> {
    if (!version.instance.dead) return version.instance;
    version.rebuilding ??= this.#build(version.name, version.file, version.code, version.settings).then(
      (instance) => {
        // Calls still in flight on the old isolate finish there; it goes when they are done.
        version.instance.retire();
        version.instance = instance;
        version.rebuilding = undefined;
        entry.restarts += 1;
        this.#logger.warn({ script: version.name }, 'script isolate replaced after a call exceeded a limit');
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

  /** Unloads the script: no new calls; the isolate goes once calls in flight are done. */
  #retire(entry: ScriptEntry, state: 'removed' | 'disabled'): void {
    const old = entry.version;
    entry.version = undefined;
    this.#activeByHook.clear();
    entry.state = state;
    entry.gap = undefined;
    if (old) this.#drain(old);
    // What plugins and the logs keep for the script goes with it.
    this.#plugins.forget(entry.name);
    this.#invoker.logs.forget(entry.name);
    this.#logger.info({ script: entry.name, state }, 'script unloaded');
    this.emit('unloaded', { name: entry.name, generation: entry.generation } satisfies ScriptEvent);
  }

  #drain(version: ScriptVersion): void {
    version.retired = true;
    if (version.inFlight === 0) void this.#dispose(version);
  }

  async #dispose(version: ScriptVersion): Promise<void> {
    if (version.hooks.has('destroy') && !version.instance.dead) {
      try {
        const outcome = await version.instance.call('destroy', [version.settings.properties], version.settings.timeoutMs);
        if (outcome.logs) this.#invoker.logs.console(version.name, outcome.logs);
      } catch (err) {
        this.#logger.warn({ script: version.name, err }, 'destroy failed');
      }
    }
    version.instance.dispose();
  }

  entry(name: string): ScriptEntry {
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { name, generation: 0, version: undefined, state: 'removed', lastError: undefined, notice: undefined, stats: new Map(), restarts: 0, cpu: new CpuMeter(), gap: undefined };
      this.entries.set(name, entry);
    }
    return entry;
  }

  /** Active versions exporting `hook`, in priority order (only `only` when given: dry runs). */
  /**
   * Failed with no version in force: enforcing ones fail closed on the hooks they would run (all,
   * unless the settings declare them), shadow ones enforce nothing anyway.
   */
  #failClosed(entry: ScriptEntry, settingsText: string | undefined): void {
    entry.state = 'failed';
    let settings: ScriptSettings | undefined;
    try {
      settings = parseSettings(settingsText);
    } catch {
      // Unparsable settings: the defaults (enforce, fail) hold.
    }
    const shadow = settings?.mode === 'shadow' || (settings?.mode === undefined && entry.name.endsWith('.next'));
    entry.gap = shadow ? undefined : { hooks: settings?.hooks ?? 'all', failOpen: settings?.onError === 'skip' };
  }

  /** Scripts that would run `hook` and have no version in force: the hook refuses while there are any (see ScriptEntry.gap). */
  missing(hook: HookName): string[] {
    const names: string[] = [];
    for (const entry of this.entries.values()) {
      const gap = entry.gap;
      if (gap && !gap.failOpen && (gap.hooks === 'all' || gap.hooks.includes(hook))) names.push(entry.name);
    }
    return names;
  }

  active(hook: HookName, only?: string): ScriptVersion[] {
    if (only === undefined) {
      let cached = this.#activeByHook.get(hook);
      if (!cached) this.#activeByHook.set(hook, (cached = this.#collect(hook)));
      return cached;
    }
    return this.#collect(hook, only);
  }

  #collect(hook: HookName, only?: string): ScriptVersion[] {
    return [...this.entries.values()]
      .map((entry) => entry.version)
      .filter((version): version is ScriptVersion => version !== undefined && version.hooks.has(hook) && (only === undefined || version.name === only))
      .sort(byPriority);
  }

  /**
   * Unloads every script (destroy hooks run), then disposes every isolate still alive, so the
   * process never exits with an isolate left behind. Call it once no request is in flight.
   */
  async close(): Promise<void> {
    for (const name of [...this.#held.keys()]) this.#release(name);
    await Promise.all(this.#queues.values());
    for (const entry of this.entries.values()) {
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
