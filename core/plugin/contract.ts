// The plugin contract: trusted TypeScript that offers async functions to scripts as
// host.<plugin>.<fn>(...). A plugin declares its configuration schema (validated when a script
// that is granted the plugin loads) and its functions. It reaches the server only through the
// narrow PluginServices the composition root builds (services.ts): never the store, and files
// only in the plugin files folder.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { ClientMetadata } from '../metadata/index.ts';
import type { ClientFilter } from '../store/index.ts';
import type { JSONWebKeySet } from '../trust/index.ts';

export type { ClientFilter };
export { OutboundError } from '../outbound/index.ts';
export { KeySetError } from '../trust/index.ts';

/** A registered client as plugins see it: public metadata, no credentials. */
export type ClientView = ClientMetadata & { client_id: string; client_id_issued_at: number };

export interface PluginServices {
  logger: Logger;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** Read-only queries over the registered clients (unexpired ones). */
  clients: {
    count(filter: ClientFilter): Promise<number>;
    find(filter: ClientFilter, limit: number): Promise<ClientView[]>;
  };
  /** GET a JSON document under the server's outbound rules in force; rejects with an OutboundError. Pass the call's signal; `headers` are sent as given (an API version, say). */
  fetchJson(url: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<unknown>;
  /** The server's shared cache of remote key sets; rejects with a KeySetError. */
  keySets: { get(url: string): Promise<JSONWebKeySet> };
  /** A regular file of the plugin files folder (DCR_PLUGIN_FILES_DIR), by a name relative to it, as text; rejects with a PluginCallError. */
  readFile(name: string, maxBytes?: number): Promise<string>;
}

/** One call from a script. */
export interface PluginCall<Config = Record<string, unknown>> {
  script: string;
  /**
   * The script host the call comes from (`live`, or a replay's own): what a plugin keeps for a
   * script (a cache, a counter) it keeps per scope and script, so a replay never sees or changes
   * what the live script keeps.
   */
  scope: string;
  requestId: string | undefined;
  /** The plugin's configuration from the script's settings, validated against the plugin's schema. */
  config: Config;
  services: PluginServices;
  /** Aborted when the calling hook's time budget runs out: stop working then (the answer is dropped). */
  signal: AbortSignal;
  /** A line in the server log on behalf of the script (capped and rate-limited per script). */
  log(level: string, message: unknown, fields?: Record<string, unknown>): void;
}

export type PluginFunction<Config = any> = (args: unknown[], call: PluginCall<Config>) => Promise<unknown>;

export interface PluginFunctionDeclaration<Config = any> {
  description: string;
  /** The arguments in order, name → schema (Type.Optional for trailing optional ones): checked by the host before `run`. */
  params: Record<string, TSchema>;
  /** What the call resolves to, as scripts see it. */
  returns: TSchema;
  run: PluginFunction<Config>;
}

export interface Plugin<Config = any> {
  name: string;
  description: string;
  /** JSON Schema of the plugin's configuration in a script's settings (defaults applied). */
  config: TSchema;
  /** Shapes its signatures name (schemas marked `x-ts`), declared in the generated script types. */
  types?: TSchema[];
  functions: Record<string, PluginFunctionDeclaration<Config>>;
  /** The script is gone (removed or disabled) from a scope: release what the plugin keeps for it there. */
  forget?(script: string, scope: string): void;
}

/**
 * A plugin, its configuration type taken from its schema; `extra` holds the shapes its parameters
 * and results name, and what to release when a script goes.
 */
export function definePlugin<Schema extends TSchema>(
  name: string,
  description: string,
  config: Schema,
  functions: Record<string, PluginFunctionDeclaration<Static<Schema>>>,
  extra: Pick<Plugin, 'types' | 'forget'> = {},
): Plugin<Static<Schema>> {
  return { name, description, config, functions, ...extra };
}

/** Schemas plugin declarations share. */
export const Nothing = Type.Unsafe<void>({ 'x-ts': 'void' });
/** A URL argument (bounded: it is stored, logged and fetched). */
export const UrlParam = Type.String({ minLength: 1, maxLength: 8192 });

/** A script called a plugin function wrongly (bad arguments, a host it may not reach, ...). */
export class PluginCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginCallError';
  }
}

/** A call refused by a limit or quota (counted as refused, not as an error of the plugin). */
export class PluginRefusal extends PluginCallError {}
