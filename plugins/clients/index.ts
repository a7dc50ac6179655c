// host.clients.count(filter) / host.clients.find(filter, limit): read-only queries over the
// registered clients by software_id, organisation (org_id) or redirect host. No credentials
// ever leave the store through here.
import { Type, type Static } from '@sinclair/typebox';
import { PluginCallError, type ClientFilter, type Plugin } from '../../core/plugin/index.ts';

/** What scripts filter by (one member at least). */
const ClientFilterSchema = Type.Object(
  {
    software_id: Type.Optional(Type.String()),
    organisation: Type.Optional(Type.String({ description: 'The org_id (or organisation) member.' })),
    redirect_host: Type.Optional(Type.String({ description: 'A host among the redirect URIs.' })),
  },
  { additionalProperties: false, 'x-ts': 'ClientFilter' },
);

const Config = Type.Object(
  { maxResults: Type.Integer({ default: 100, minimum: 1, maximum: 1000, description: 'Most clients find() returns.' }) },
  { additionalProperties: false },
);

function filterOf(value: unknown): ClientFilter {
  if (typeof value !== 'object' || value === null) throw new PluginCallError('the filter must be an object');
  const { software_id: softwareId, organisation, redirect_host: redirectHost, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new PluginCallError(`unknown filter members: ${Object.keys(rest).join(', ')}`);
  const filter: ClientFilter = {};
  for (const [key, member] of [['softwareId', softwareId], ['organisation', organisation], ['redirectHost', redirectHost]] as const) {
    if (member === undefined) continue;
    if (typeof member !== 'string') throw new PluginCallError('filter values must be strings');
    filter[key] = member;
  }
  if (Object.keys(filter).length === 0) throw new PluginCallError('give software_id, organisation or redirect_host');
  return filter;
}

export const clients: Plugin<Static<typeof Config>> = {
  name: 'clients',
  description: 'Read-only counts and lookups of registered clients.',
  config: Config,
  types: [ClientFilterSchema],
  functions: {
    count: {
      signature: '(filter: ClientFilter) => Promise<number>',
      description: 'How many unexpired clients match the filter.',
      run: async (args, call) => call.services.clients.count(filterOf(args[0])),
    },
    find: {
      signature: '(filter: ClientFilter, limit?: number) => Promise<Array<ClientMetadata & { client_id: string; client_id_issued_at: number }>>',
      description: 'The matching clients (public metadata, no credentials), at most `limit` and maxResults.',
      async run(args, call) {
        const limit = Math.min(typeof args[1] === 'number' ? args[1] : call.config.maxResults, call.config.maxResults);
        return call.services.clients.find(filterOf(args[0]), limit);
      },
    },
  },
};
