// The built-in plugins, handed to the script host by the composition root (core/index.ts). A
// deployment adds its own by putting plugins/<name>/index.ts beside these and listing it here.
import type { Plugin } from '../core/plugin/index.ts';
import { cache } from './cache/index.ts';
import { clients } from './clients/index.ts';
import { directory } from './directory/index.ts';
import { http } from './http/index.ts';
import { jwks } from './jwks/index.ts';
import { log } from './log/index.ts';

export const BUILTIN_PLUGINS: ReadonlyArray<Plugin> = [log, http, cache, clients, jwks, directory];
