// host.clients.count(filter) / host.clients.find(filter, limit): read-only queries over the
// registered clients by software_id, organisation (org_id) or redirect host. No credentials
// ever leave the store through here.
import { Type, type Static } from '@sinclair/typebox';
import { definePlugin, type ClientFilter } from '../../core/plugin/index.ts';

const Value = Type.String({ minLength: 1, maxLength: 1024 });

/** What scripts filter by: one member at least. */
const ClientFilterSchema = Type.Object(
  {
    software_id: Type.Optional(Value),
    organisation: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The org_id (or organisation) member.' })),
    redirect_host: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'A host among the redirect URIs.' })),
  },
  { additionalProperties: false, minProperties: 1, 'x-ts': 'ClientFilter' },
);
type WireFilter = Static<typeof ClientFilterSchema>;

const Config = Type.Object(
  { maxResults: Type.Integer({ default: 100, minimum: 1, maximum: 1000, description: 'Most clients find() returns.' }) },
  { additionalProperties: false },
);

const filterOf = (wire: unknown): ClientFilter => {
  const { software_id: softwareId, organisation, redirect_host: redirectHost } = wire as WireFilter;
  return { ...(softwareId && { softwareId }), ...(organisation && { organisation }), ...(redirectHost && { redirectHost }) };
};

export const clients = definePlugin('clients', 'Read-only counts and lookups of registered clients.', Config, {
  count: {
    description: 'How many unexpired clients match the filter.',
    params: { filter: ClientFilterSchema },
    returns: Type.Integer(),
    run: async ([filter], call) => call.services.clients.count(filterOf(filter)),
  },
  find: {
    description: 'The matching clients (public metadata, no credentials), at most `limit` and maxResults.',
    params: { filter: ClientFilterSchema, limit: Type.Optional(Type.Integer({ minimum: 1 })) },
    returns: Type.Array(Type.Unsafe({ 'x-ts': 'ClientMetadata & { client_id: string; client_id_issued_at: number }' })),
    run: async ([filter, limit], call) => call.services.clients.find(filterOf(filter), Math.min((limit as number | undefined) ?? call.config.maxResults, call.config.maxResults)),
  },
}, { types: [ClientFilterSchema] });
