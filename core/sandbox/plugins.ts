// Plugin grants and calls: which plugin functions a script may call (checked, with the plugin's
// configuration, when a version loads), and the dispatch of each call to the plugin.
import { OptionalKind, type TSchema } from '@sinclair/typebox';
import { PluginCallError, PluginRefusal, type Plugin, type PluginFunctionDeclaration, type PluginServices } from '../plugin/index.ts';
import { describeErrors, schemaValidator, type ValidateFunction } from '../validation/index.ts';
import { contextOfRequest, inSpan } from '../tracing/index.ts';
import { ScriptError } from './errors.ts';
import type { Dispatch } from './isolate.ts';
import type { ScriptLogs } from './logs.ts';
import type { ScriptSettings } from './settings.ts';

/** Checks a call's arguments against the function's declared parameters; returns them with absent optional ones undefined. */
type ArgumentCheck = (args: unknown[]) => unknown[];

function argumentCheck(name: string, declared: PluginFunctionDeclaration): ArgumentCheck {
  const params = Object.entries(declared.params).map(([param, schema]: [string, TSchema]) => ({
    param,
    optional: schema[OptionalKind] !== undefined,
    validate: schemaValidator(schema),
  }));
  return (args) => {
    if (args.length > params.length) throw new PluginCallError(`${name} takes at most ${params.length} arguments`);
    return params.map(({ param, optional, validate }, index) => {
      const value = args[index] ?? undefined;
      if (value === undefined && optional) return undefined;
      if (value === undefined) throw new PluginCallError(`${name}: ${param} is required`);
      if (!validate(value)) {
        const errors = (validate.errors ?? []).map((error) => ({ ...error, instancePath: `/${param}${error.instancePath}` }));
        throw new PluginCallError(`${name}: ${describeErrors(errors, param, (member) => `unknown member "${member}"`).join('; ')}`);
      }
      return value;
    });
  };
}

export interface PluginStats {
  calls: number;
  errors: number;
  /** Calls refused before they ran: arguments, calls in flight, or the time budget. */
  refused: number;
  totalMs: number;
  maxMs: number;
}

export type PluginCallObserver = (call: { script: string; plugin: string; fn: string; outcome: 'ok' | 'error' | 'refused'; ms: number }) => void;

/** A call the plugin did not finish within the calling hook's time budget. */
class Overdue extends PluginRefusal {}

/**
 * The host side of plugin calls: grants (checked with the plugin's configuration when a version
 * loads) and the dispatch of each call, under a cost model the server enforces whatever the
 * plugin does: declared arguments, at most maxPluginCallsInFlight outstanding calls per script,
 * and the calling hook's time budget (the plugin is told through its signal; its answer after
 * that is dropped). Every call is counted per script and function.
 */
export class PluginGrants {
  readonly #plugins: Map<string, { plugin: Plugin; validate: ValidateFunction; checks: Map<string, ArgumentCheck> }>;
  readonly #services: PluginServices;
  readonly #logs: ScriptLogs;
  readonly #onCall: PluginCallObserver | undefined;
  readonly #inFlight = new Map<string, number>();
  readonly #stats = new Map<string, Map<string, PluginStats>>();
  readonly #scope: string;

  constructor(plugins: ReadonlyArray<Plugin>, services: PluginServices, logs: ScriptLogs, onCall: PluginCallObserver | undefined, scope: string) {
    this.#scope = scope;
    this.#plugins = new Map(
      plugins.map((plugin) => [
        plugin.name,
        {
          plugin,
          validate: schemaValidator(plugin.config, { defaults: true, allErrors: true }),
          checks: new Map(Object.entries(plugin.functions).map(([fn, declared]) => [fn, argumentCheck(`host.${plugin.name}.${fn}`, declared)])),
        },
      ]),
    );
    this.#services = services;
    this.#logs = logs;
    this.#onCall = onCall;
  }

  /** Plugin name → function names, after validating each granted plugin's configuration. Throws a ScriptError. */
  grants(name: string, settings: ScriptSettings): Record<string, string[]> {
    const granted: Record<string, string[]> = {};
    for (const [pluginName, config] of Object.entries(settings.plugins)) {
      const known = this.#plugins.get(pluginName);
      if (!known) throw new ScriptError('capability_denied', name, undefined, `${name}.json grants unknown plugin "${pluginName}"`);
      if (!known.validate(config)) {
        const reasons = describeErrors(known.validate.errors, 'config', (member) => `unknown member "${member}"`).join('; ');
        throw new ScriptError('compile_error', name, undefined, `${name}.json: plugin ${pluginName} configuration: ${reasons}`);
      }
      granted[pluginName] = Object.keys(known.plugin.functions);
    }
    return granted;
  }

  /** The dispatcher a version's isolate calls plugins through. */
  dispatcher(script: string, settings: ScriptSettings): Dispatch {
    // Each call a span under its hook call's (found by request id: the call comes back from the isolate's thread without a context).
    return (plugin, fn, argsJson, requestId) =>
      inSpan(`plugin ${plugin}.${fn}`, { 'registrar.script': script, 'registrar.plugin': plugin, 'registrar.plugin.function': fn }, () => this.#call(script, settings, plugin, fn, argsJson, requestId), {
        parent: contextOfRequest(requestId),
      });
  }

  async #call(script: string, settings: ScriptSettings, plugin: string, fn: string, argsJson: string, requestId: string | undefined): Promise<string | undefined> {
    const started = performance.now();
    const stats = this.#statsOf(script, `${plugin}.${fn}`);
    const known = this.#plugins.get(plugin);
    const config = settings.plugins[plugin];
    const declared = known?.plugin.functions[fn];
    const outstanding = this.#inFlight.get(script) ?? 0;
    let outcome: 'ok' | 'error' | 'refused' = 'refused';
    try {
      if (!known || !config || !declared) throw new PluginCallError(`host.${plugin}.${fn} is not available to this script`);
      if (outstanding >= settings.maxPluginCallsInFlight) {
        throw new PluginRefusal(`host.${plugin}.${fn}: ${settings.maxPluginCallsInFlight} plugin calls of this script are already in flight (maxPluginCallsInFlight)`);
      }
      const args = known.checks.get(fn)!(JSON.parse(argsJson) as unknown[]);
      this.#inFlight.set(script, outstanding + 1);
      outcome = 'error';
      try {
        const result = await this.#withinBudget(settings.timeoutMs, `host.${plugin}.${fn}`, (signal) =>
          declared.run(args, {
            script,
            scope: this.#scope,
            requestId,
            config,
            services: this.#services,
            signal,
            log: (level, message, fields) => this.#logs.write(script, requestId, level, message, fields, 'script'),
          }),
        );
        const json = result === undefined ? undefined : JSON.stringify(result);
        // An answer larger than a hook call's whole plugin budget would be spent on arrival: it is not sent.
        if (json !== undefined && json.length > settings.maxPluginBytesPerHook) {
          throw new PluginRefusal(`host.${plugin}.${fn} answered more than the ${settings.maxPluginBytesPerHook} bytes a hook call may receive (maxPluginBytesPerHook)`);
        }
        outcome = 'ok';
        return json;
      } finally {
        this.#inFlight.set(script, (this.#inFlight.get(script) ?? 1) - 1);
      }
    } catch (err) {
      if (err instanceof PluginRefusal) outcome = 'refused';
      throw err;
    } finally {
      const ms = performance.now() - started;
      stats.calls += 1;
      if (outcome === 'error') stats.errors += 1;
      if (outcome === 'refused') stats.refused += 1;
      stats.totalMs += ms;
      stats.maxMs = Math.max(stats.maxMs, ms);
      this.#onCall?.({ script, plugin, fn, outcome, ms });
    }
  }

  /** Runs `work`, failing it once `budgetMs` has passed; the signal tells the plugin to stop. */
  async #withinBudget<T>(budgetMs: number, name: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Overdue(`${name} did not answer within the hook's ${budgetMs} ms`));
      }, budgetMs);
    });
    try {
      return await Promise.race([work(controller.signal), overdue]);
    } finally {
      clearTimeout(timer);
    }
  }

  #statsOf(script: string, fn: string): PluginStats {
    let byFunction = this.#stats.get(script);
    if (!byFunction) this.#stats.set(script, (byFunction = new Map()));
    let stats = byFunction.get(fn);
    if (!stats) byFunction.set(fn, (stats = { calls: 0, errors: 0, refused: 0, totalMs: 0, maxMs: 0 }));
    return stats;
  }

  /** Plugin calls of a script by function, for its status. */
  stats(script: string): Record<string, PluginStats> {
    return Object.fromEntries(this.#stats.get(script) ?? []);
  }

  /** The script is gone: what plugins keep for it is released. */
  forget(script: string): void {
    this.#stats.delete(script);
    this.#inFlight.delete(script);
    for (const { plugin } of this.#plugins.values()) plugin.forget?.(script, this.#scope);
  }
}
