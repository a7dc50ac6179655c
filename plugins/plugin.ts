// The plugin contract: trusted TypeScript that offers async functions to scripts as
// host.<plugin>.<fn>(...). A plugin declares its configuration schema (validated when a script
// that is granted the plugin loads) and its functions; it reaches the server only through
// PluginServices.
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { ConfigHolder } from '../core/config/index.ts';
import type { RemoteKeySets } from '../core/jwks/index.ts';
import type { ClientStore } from '../core/store/index.ts';

export interface PluginServices {
  logger: Logger;
  store: ClientStore;
  config: ConfigHolder;
  clock: () => number;
  keySets: RemoteKeySets;
}

/** One call from a script. */
export interface PluginCall<Config = Record<string, unknown>> {
  script: string;
  requestId: string | undefined;
  /** The plugin's configuration from the script's settings, validated against the plugin's schema. */
  config: Config;
  services: PluginServices;
}

export type PluginFunction<Config = any> = (args: unknown[], call: PluginCall<Config>) => Promise<unknown>;

export interface Plugin<Config = any> {
  name: string;
  description: string;
  /** JSON Schema of the plugin's configuration in a script's settings (defaults applied). */
  config: TSchema;
  functions: Record<string, PluginFunction<Config>>;
}

/** A script called a plugin function wrongly (bad arguments, a host it may not reach, ...). */
export class PluginCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginCallError';
  }
}

export const stringArg = (args: unknown[], index: number, name: string): string => {
  const value = args[index];
  if (typeof value !== 'string') throw new PluginCallError(`${name} must be a string`);
  return value;
};
