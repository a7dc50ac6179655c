// host.cache.get/set/delete: a per-script key-value store with a time to live, kept in memory
// across reloads of the same script and released when the script goes; a replay's scratch scripts
// have their own (scope). Each script's share is
// bounded in entries and bytes; the least recently used go first.
import { Type } from '@sinclair/typebox';
import { definePlugin, Nothing, PluginCallError } from '../../core/plugin/index.ts';

const MAX_VALUE_BYTES = 64 * 1024;
const Key = Type.String({ maxLength: 1024 });

interface Stored {
  value: unknown;
  expires: number;
  bytes: number;
}

/** One script's cache, in least-recently-used order. */
class ScriptCache {
  readonly entries = new Map<string, Stored>();
  bytes = 0;

  get(key: string, now: number): unknown {
    const stored = this.entries.get(key);
    if (!stored) return undefined;
    this.delete(key);
    if (stored.expires <= now) return undefined;
    this.#put(key, stored);
    return stored.value;
  }

  set(key: string, stored: Stored, maxEntries: number, maxBytes: number): void {
    this.delete(key);
    this.#put(key, stored);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= maxEntries && this.bytes <= maxBytes) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const stored = this.entries.get(key);
    if (!stored) return;
    this.entries.delete(key);
    this.bytes -= stored.bytes;
  }

  #put(key: string, stored: Stored): void {
    this.entries.set(key, stored);
    this.bytes += stored.bytes;
  }
}

/** By scope and script: a replay's scratch script never sees the live script's cache. */
const caches = new Map<string, ScriptCache>();
const keyOf = (scope: string, script: string) => `${scope}\0${script}`;

function cacheOf(call: { scope: string; script: string }): ScriptCache {
  const key = keyOf(call.scope, call.script);
  let cache = caches.get(key);
  if (!cache) caches.set(key, (cache = new ScriptCache()));
  return cache;
}

const Config = Type.Object(
  {
    maxEntries: Type.Integer({ default: 10_000, minimum: 1, description: 'Entries kept per script; the least recently used go first.' }),
    maxBytes: Type.Integer({ default: 4 * 1024 * 1024, minimum: 1024, description: 'Bytes of values (and keys) kept per script; the least recently used go first.' }),
    defaultTtlSeconds: Type.Integer({ default: 300, minimum: 1, description: 'Time to live when set() names none.' }),
  },
  { additionalProperties: false },
);

export const cache = definePlugin(
  'cache',
  'Per-script key-value store with a time to live.',
  Config,
  {
    get: {
      description: 'The value stored under `key`, or undefined when there is none or it expired.',
      params: { key: Key },
      returns: Type.Unknown(),
      run: async ([key], call) => cacheOf(call).get(key as string, call.services.clock()),
    },
    set: {
      description: 'Stores a JSON value (at most 64 KiB) for `ttlSeconds` (default defaultTtlSeconds).',
      params: { key: Key, value: Type.Unknown(), ttlSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })) },
      returns: Nothing,
      async run([key, value, ttl], call) {
        if (value === undefined) throw new PluginCallError('value must not be undefined');
        const bytes = JSON.stringify(value).length + (key as string).length;
        if (bytes > MAX_VALUE_BYTES) throw new PluginCallError(`cached values are limited to ${MAX_VALUE_BYTES} bytes`);
        const expires = call.services.clock() + ((ttl as number | undefined) ?? call.config.defaultTtlSeconds) * 1000;
        cacheOf(call).set(key as string, { value, expires, bytes }, call.config.maxEntries, call.config.maxBytes);
        return undefined;
      },
    },
    delete: {
      description: 'Removes the value stored under `key`.',
      params: { key: Key },
      returns: Nothing,
      async run([key], call) {
        cacheOf(call).delete(key as string);
        return undefined;
      },
    },
  },
  { forget: (script, scope) => caches.delete(keyOf(scope, script)) },
);
