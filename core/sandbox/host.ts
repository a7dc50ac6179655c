// The script host: the scripts folder's versions (registry.ts), their plugin grants
// (plugins.ts), their log lines (logs.ts), and the decisions they make for the registration flow
// (scriptPolicy.ts), behind the policy port.
import { EventEmitter } from 'node:events';
import { readdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Plugin, PluginServices } from '../plugin/index.ts';
import type { PolicyEngine, RequestPolicy, RequestScope } from '../policy/index.ts';
import { inShadow, ScriptPolicy, type ShadowObserver } from './scriptPolicy.ts';
import { scriptNameOf } from './files.ts';
import type { CallObserver } from './invoke.ts';
import { ScriptLogs } from './logs.ts';
import { MemoryBudget } from './memory.ts';
import { PluginGrants, type PluginCallObserver } from './plugins.ts';
import { ScriptRegistry, type ScriptEvent } from './registry.ts';
import type { ScriptEntry } from './versions.ts';
import { messageOf } from '../errors/index.ts';

export type { ScriptEvent };

export interface ScriptHostOptions {
  dir: string;
  /** What plugins keep for this host's scripts is kept apart under this name (default `live`; a replay's scratch host has its own). */
  scope?: string;
  /** How long a change that removes policy must stand still before it applies (default 2000 ms; see registry.ts). */
  holdMs?: number;
  /** The isolate heap budget, shared by every script host of the process (default: one of 4096 MB for this host alone). */
  memory?: MemoryBudget;
  logger: Logger;
  /** The plugins scripts may be granted (the composition root hands in the built-in ones). */
  plugins: ReadonlyArray<Plugin>;
  services: PluginServices;
  /** Told about every hook call (metrics). */
  onCall?: CallObserver;
  /** Told about every plugin call (metrics). */
  onPluginCall?: PluginCallObserver;
  /** Told what each shadow-mode call would have done (metrics). */
  onShadow?: ShadowObserver;
}

const EVENTS = ['loaded', 'failed', 'unloaded', 'restarted'] as const;

/** Mean and maximum milliseconds of a counter, rounded for the status. */
const timing = (s: { calls: number; totalMs: number; maxMs: number }) => ({ meanMs: s.calls ? +(s.totalMs / s.calls).toFixed(3) : 0, maxMs: +s.maxMs.toFixed(3) });

/** Emits the registry's script lifecycle events: `loaded`, `failed`, `unloaded`, `restarted` (a ScriptEvent each). */
export class ScriptHost extends EventEmitter implements PolicyEngine {
  readonly dir: string;
  readonly #logger: Logger;
  readonly #logs: ScriptLogs;
  readonly #registry: ScriptRegistry;
  readonly #plugins: PluginGrants;
  readonly #policy: ScriptPolicy;

  constructor(options: ScriptHostOptions) {
    super();
    this.dir = options.dir;
    this.#logger = options.logger.child({ component: 'scripts' });
    this.#logs = new ScriptLogs(this.#logger);
    this.#plugins = new PluginGrants(options.plugins, options.services, this.#logs, options.onPluginCall, options.scope ?? 'live');
    this.#registry = new ScriptRegistry({ dir: options.dir, logger: this.#logger, logs: this.#logs, onCall: options.onCall, plugins: this.#plugins, holdMs: options.holdMs ?? 2000, memory: options.memory ?? new MemoryBudget(4096) });
    for (const event of EVENTS) this.#registry.on(event, (details: ScriptEvent) => this.emit(event, details));
    this.#policy = new ScriptPolicy({
      active: (hook, only) => this.#registry.active(hook, only),
      missing: (hook) => this.#registry.missing(hook),
      call: (version, hook, args, scope) => this.#registry.call(version, hook, args, scope),
    }, options.onShadow);
  }

  forRequest(scope: RequestScope): RequestPolicy {
    return this.#policy.forRequest(scope);
  }

  /**
   * The first load: the folder must be there, or a typo would silently remove every policy,
   * unless running without scripts is intended (`optional`). Whether it was there.
   */
  async loadAtStart(optional: boolean): Promise<boolean> {
    try {
      await readdir(this.dir);
    } catch (err) {
      if (!optional) {
        const reason = (err as NodeJS.ErrnoException).code ?? messageOf(err);
        throw new TypeError(`DCR_SCRIPTS_DIR: ${this.dir} cannot be read (${reason}); create it, or set DCR_SCRIPTS_OPTIONAL=true to run without scripts`);
      }
      this.#logger.warn({ dir: this.dir }, 'running without scripts: the scripts folder is not there (DCR_SCRIPTS_OPTIONAL)');
      return false;
    }
    await this.loadAll();
    return true;
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
    for (const name of this.#registry.entries.keys()) names.add(name);
    await Promise.all([...names].map((name) => this.reload(name)));
  }

  /** The one activation path (file watcher, start-up, tests); resolves when this activation is done. */
  reload(name: string): Promise<void> {
    return this.#registry.reload(name);
  }

  /** Collects the log lines scripts write while serving `requestId` (dry runs) until `stop` is called. */
  captureLogs(requestId: string): { lines: Array<Record<string, unknown>>; stop(): void } {
    return this.#logs.capture(requestId);
  }

  /** Each script's state and the version in force (the first 12 hex digits of its hash), in short. */
  versions(): Array<{ name: string; state: ScriptEntry['state']; version: string | null }> {
    return [...this.#registry.entries.values()].map((entry) => ({ name: entry.name, state: entry.state, version: entry.version?.hash.slice(0, 12) ?? null }));
  }

  /** Enabled scripts with no version in force whose decisions refuse (not `onError: skip`, not shadow). */
  notInForce(): string[] {
    return [...this.#registry.entries.values()].filter((entry) => entry.gap && !entry.gap.failOpen).map((entry) => entry.name);
  }

  /** Whether `name` has an active version. */
  isActive(name: string): boolean {
    return this.#registry.entries.get(name)?.version !== undefined;
  }

  /** What GET /admin/scripts shows. */
  status(): Array<Record<string, unknown>> {
    return [...this.#registry.entries.values()]
      .filter((entry) => entry.version || entry.lastError || entry.state === 'disabled')
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((entry) => {
        const version = entry.version;
        const plugins = this.#plugins.stats(entry.name);
        const refused = Object.values(plugins).reduce((sum, s) => sum + s.refused, 0);
        const dropped = this.#logs.dropped(entry.name);
        return {
          name: entry.name,
          state: entry.state,
          file: version?.file,
          hash: version?.hash,
          generation: version?.generation,
          loadedAt: version?.loadedAt,
          hooks: version ? [...version.hooks] : [],
          settings: version?.settings,
          mode: version ? (inShadow(version) ? 'shadow' : 'enforce') : undefined,
          inFlight: version?.inFlight ?? 0,
          crossings: version?.instance.crossings ?? 0,
          restarts: entry.restarts,
          cpuMsLastSecond: Math.round(entry.cpu.lastSecond() * 10) / 10,
          lastError: entry.lastError,
          notice: entry.notice,
          // No version in force: the hooks it would run refuse (or, with onError: skip, it is passed over).
          ...(entry.gap ? { notInForce: entry.gap } : {}),
          // Limits this script ran into: it is being contained, and its author should know.
          limited: [...(refused ? [`plugin calls refused: ${refused}`] : []), ...(dropped ? [`log lines dropped: ${dropped}`] : [])],
          logLinesDropped: dropped,
          plugins: Object.fromEntries(
            Object.entries(plugins).map(([fn, s]) => [fn, { calls: s.calls, errors: s.errors, refused: s.refused, ...timing(s) }]),
          ),
          stats: Object.fromEntries(
            [...entry.stats].map(([hook, s]) => [hook, { calls: s.calls, notMatched: s.notMatched, errors: s.errors, ...timing(s) }]),
          ),
        };
      });
  }

  /** Unloads every script (destroy hooks run) and disposes every isolate. Call it once no request is in flight. */
  close(): Promise<void> {
    return this.#registry.close();
  }
}
