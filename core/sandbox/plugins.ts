// Plugin grants and calls: which plugin functions a script may call (checked, with the plugin's
// configuration, when a version loads), and the dispatch of each call to the plugin.
import { OptionalKind, type TSchema } from '@sinclair/typebox';
import { PluginCallError, type Plugin, type PluginFunctionDeclaration, type PluginServices } from '../plugin/index.ts';
import { describeErrors, schemaValidator, type ValidateFunction } from '../validation/index.ts';
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

export class PluginGrants {
  readonly #plugins: Map<string, { plugin: Plugin; validate: ValidateFunction; checks: Map<string, ArgumentCheck> }>;
  readonly #services: PluginServices;
  readonly #logs: ScriptLogs;

  constructor(plugins: ReadonlyArray<Plugin>, services: PluginServices, logs: ScriptLogs) {
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
    return async (plugin, fn, argsJson, requestId) => {
      const args = JSON.parse(argsJson) as unknown[];
      if (plugin === 'log') this.#logs.plugin(script, requestId, fn, args);
      const known = this.#plugins.get(plugin);
      const config = settings.plugins[plugin];
      const call = known?.plugin.functions[fn];
      if (!known || !config || !call) throw new PluginCallError(`host.${plugin}.${fn} is not available to this script`);
      const checked = known.checks.get(fn)!(args);
      const result = await call.run(checked, { script, requestId, config, services: this.#services });
      return result === undefined ? undefined : JSON.stringify(result);
    };
  }
}
