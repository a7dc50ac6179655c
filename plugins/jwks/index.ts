// host.jwks.get(url): a key set through the server's shared JWKS cache (same fetch rules,
// caching and refetch cool-down as the server's own verification). Each script may bring at most
// maxNewUrlsPerMinute URLs a minute to the shared cache, so no script can flood it.
import { Type } from '@sinclair/typebox';
import { definePlugin, KeySetError, PluginCallError, PluginRefusal, UrlParam } from '../../core/plugin/index.ts';

const MINUTE_MS = 60_000;
/** Per script: the URLs asked for in the current minute. */
const windows = new Map<string, { start: number; urls: Set<string> }>();

const Config = Type.Object(
  { maxNewUrlsPerMinute: Type.Integer({ default: 30, minimum: 1, description: 'Distinct key-set URLs the script may ask for per minute; more are refused.' }) },
  { additionalProperties: false },
);

export const jwks = definePlugin(
  'jwks',
  'Fetch and cache JSON Web Key Sets.',
  Config,
  {
    get: {
      description: "The key set at `url`, through the server's shared cache.",
      params: { url: UrlParam },
      returns: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
      async run([url], call) {
        const now = call.services.clock();
        let window = windows.get(call.script);
        if (!window || now - window.start >= MINUTE_MS) windows.set(call.script, (window = { start: now, urls: new Set() }));
        if (!window.urls.has(url as string)) {
          if (window.urls.size >= call.config.maxNewUrlsPerMinute) throw new PluginRefusal(`at most ${call.config.maxNewUrlsPerMinute} key-set URLs a minute (maxNewUrlsPerMinute)`);
          window.urls.add(url as string);
        }
        try {
          return await call.services.keySets.get(url as string);
        } catch (err) {
          if (err instanceof KeySetError) throw new PluginCallError(err.message);
          throw err;
        }
      },
    },
  },
  { forget: (script) => windows.delete(script) },
);
