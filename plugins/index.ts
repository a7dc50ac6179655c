// The built-in plugins. A deployment adds its own by putting plugins/<name>/index.ts beside
// these and listing it here.
import { cache } from './cache/index.ts';
import { clients } from './clients/index.ts';
import { directory } from './directory/index.ts';
import { http } from './http/index.ts';
import { jwks } from './jwks/index.ts';
import { log } from './log/index.ts';
import type { Plugin } from './plugin.ts';

export const BUILTIN_PLUGINS: ReadonlyArray<Plugin> = [log, http, cache, clients, jwks, directory];

export type { Plugin, PluginCall, PluginServices } from './plugin.ts';
export { PluginCallError } from './plugin.ts';
