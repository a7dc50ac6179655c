// host.cache.get/set/delete: a per-script key-value store with a time to live, kept in memory
// across reloads of the same script.
import { Type, type Static } from '@sinclair/typebox';
import { PluginCallError, stringArg, type Plugin } from '../../core/plugin/index.ts';

const Config = Type.Object(
  {
    maxEntries: Type.Integer({ default: 10_000, minimum: 1, description: 'Entries kept per script; the oldest go first.' }),
    defaultTtlSeconds: Type.Integer({ default: 300, minimum: 1, description: 'Time to live when set() names none.' }),
  },
  { additionalProperties: false },
);

const MAX_VALUE_BYTES = 64 * 1024;
const caches = new Map<string, Map<string, { value: unknown; expires: number }>>();

function cacheOf(script: string) {
  let cache = caches.get(script);
  if (!cache) caches.set(script, (cache = new Map()));
  return cache;
}

export const cache: Plugin<Static<typeof Config>> = {
  name: 'cache',
  description: 'Per-script key-value store with a time to live.',
  config: Config,
  functions: {
    get: {
      signature: '(key: string) => Promise<unknown>',
      description: 'The value stored under `key`, or undefined when there is none or it expired.',
      async run(args, call) {
        const key = stringArg(args, 0, 'key');
        const entry = cacheOf(call.script).get(key);
        if (!entry) return undefined;
        if (entry.expires <= call.services.clock()) {
        cacheOf(call.script).delete(key);
        return undefined;
        }
        return entry.value;
      },
    },
    set: {
      signature: '(key: string, value: unknown, ttlSeconds?: number) => Promise<void>',
      description: 'Stores a JSON value (at most 64 KiB) for `ttlSeconds` (default defaultTtlSeconds).',
      async run(args, call) {
        const key = stringArg(args, 0, 'key');
        const value = args[1];
        const ttl = args[2] ?? call.config.defaultTtlSeconds;
        if (typeof ttl !== 'number' || !(ttl > 0)) throw new PluginCallError('ttlSeconds must be a positive number');
        if (value === undefined) throw new PluginCallError('value must not be undefined');
        if (JSON.stringify(value).length > MAX_VALUE_BYTES) throw new PluginCallError(`cached values are limited to ${MAX_VALUE_BYTES} bytes`);
        const store = cacheOf(call.script);
        store.delete(key);
        store.set(key, { value, expires: call.services.clock() + ttl * 1000 });
        while (store.size > call.config.maxEntries) store.delete(store.keys().next().value as string);
        return undefined;
      },
    },
    delete: {
      signature: '(key: string) => Promise<void>',
      description: 'Removes the value stored under `key`.',
      async run(args, call) {
        cacheOf(call.script).delete(stringArg(args, 0, 'key'));
        return undefined;
      },
    },
  },
};
