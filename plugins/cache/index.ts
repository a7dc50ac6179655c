// host.cache.get/set/delete: a per-script key-value store with a time to live, kept in memory
// across reloads of the same script.
import { Type } from '@sinclair/typebox';
import { definePlugin, Nothing, PluginCallError } from '../../core/plugin/index.ts';

const MAX_VALUE_BYTES = 64 * 1024;
const Key = Type.String({ maxLength: 1024 });
const caches = new Map<string, Map<string, { value: unknown; expires: number }>>();

function cacheOf(script: string) {
  let cache = caches.get(script);
  if (!cache) caches.set(script, (cache = new Map()));
  return cache;
}

const Config = Type.Object(
  {
    maxEntries: Type.Integer({ default: 10_000, minimum: 1, description: 'Entries kept per script; the oldest go first.' }),
    defaultTtlSeconds: Type.Integer({ default: 300, minimum: 1, description: 'Time to live when set() names none.' }),
  },
  { additionalProperties: false },
);

export const cache = definePlugin('cache', 'Per-script key-value store with a time to live.', Config, {
  get: {
    description: 'The value stored under `key`, or undefined when there is none or it expired.',
    params: { key: Key },
    returns: Type.Unknown(),
    async run([key], call) {
      const entry = cacheOf(call.script).get(key as string);
      if (entry && entry.expires > call.services.clock()) return entry.value;
      cacheOf(call.script).delete(key as string);
      return undefined;
    },
  },
  set: {
    description: 'Stores a JSON value (at most 64 KiB) for `ttlSeconds` (default defaultTtlSeconds).',
    params: { key: Key, value: Type.Unknown(), ttlSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) },
    returns: Nothing,
    async run([key, value, ttl], call) {
      if (value === undefined) throw new PluginCallError('value must not be undefined');
      if (JSON.stringify(value).length > MAX_VALUE_BYTES) throw new PluginCallError(`cached values are limited to ${MAX_VALUE_BYTES} bytes`);
      const store = cacheOf(call.script);
      store.delete(key as string);
      store.set(key as string, { value, expires: call.services.clock() + ((ttl as number | undefined) ?? call.config.defaultTtlSeconds) * 1000 });
      while (store.size > call.config.maxEntries) store.delete(store.keys().next().value as string);
      return undefined;
    },
  },
  delete: {
    description: 'Removes the value stored under `key`.',
    params: { key: Key },
    returns: Nothing,
    async run([key], call) {
      cacheOf(call.script).delete(key as string);
      return undefined;
    },
  },
});
