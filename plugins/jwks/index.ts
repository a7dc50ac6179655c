// host.jwks.get(url): a key set through the server's shared JWKS cache (same fetch rules,
// caching and refetch cool-down as the server's own verification).
import { Type } from '@sinclair/typebox';
import { definePlugin, KeySetError, PluginCallError, UrlParam } from '../../core/plugin/index.ts';

export const jwks = definePlugin('jwks', 'Fetch and cache JSON Web Key Sets.', Type.Object({}, { additionalProperties: false }), {
  get: {
    description: "The key set at `url`, through the server's shared cache.",
    params: { url: UrlParam },
    returns: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
    async run([url], call) {
      try {
        return await call.services.keySets.get(url as string);
      } catch (err) {
        if (err instanceof KeySetError) throw new PluginCallError(err.message);
        throw err;
      }
    },
  },
});
