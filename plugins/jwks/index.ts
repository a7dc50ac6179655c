// host.jwks.get(url): a key set through the server's shared JWKS cache (same fetch rules,
// caching and refetch cool-down as the server's own verification).
import { Type } from '@sinclair/typebox';
import { KeySetError, PluginCallError, stringArg, type Plugin } from '../../core/plugin/index.ts';

export const jwks: Plugin = {
  name: 'jwks',
  description: 'Fetch and cache JSON Web Key Sets.',
  config: Type.Object({}, { additionalProperties: false }),
  functions: {
    get: {
      signature: '(url: string) => Promise<{ keys: Array<Record<string, unknown>> }>',
      description: "The key set at `url`, through the server's shared cache.",
      async run(args, call) {
        try {
          return await call.services.keySets.get(stringArg(args, 0, 'url'));
        } catch (err) {
          if (err instanceof KeySetError) throw new PluginCallError(err.message);
          throw err;
        }
      },
    },
  },
};
