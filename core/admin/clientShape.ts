// Clients as the administration API shows them: the shape of Janssen's config-api Client schema
// (camelCase: inum, displayName, redirectUris, ...), derived member by member from the
// registration metadata schema, so one declaration drives both.
import { Type, type TSchema } from '@sinclair/typebox';
import { FIELDS, languageTagged } from '../metadata/index.ts';
import type { ClientRecord } from '../store/index.ts';

/** Janssen's names where they are not the plain camelCase of the RFC name. */
const RENAMES: Record<string, string> = {
  client_name: 'displayName',
  scope: 'scopes',
  frontchannel_logout_uri: 'frontChannelLogoutUri',
  frontchannel_logout_session_required: 'frontChannelLogoutSessionRequired',
  userinfo_signed_response_alg: 'userInfoSignedResponseAlg',
  userinfo_encrypted_response_alg: 'userInfoEncryptedResponseAlg',
  userinfo_encrypted_response_enc: 'userInfoEncryptedResponseEnc',
  claims_redirect_uri: 'claimRedirectUris',
};

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const adminName = (member: string): string => RENAMES[member] ?? camel(member);

const memberSchemas: Record<string, TSchema> = {};
for (const [name, schema] of FIELDS) {
  if (schema['x-request']) continue;
  if (name === 'scope') memberSchemas.scopes = Type.Optional(Type.Array(Type.String(), { description: 'Scopes the client may request.' }));
  else if (name === 'jwks') memberSchemas.jwks = Type.Optional(Type.String({ description: 'The JWKS as a JSON string (Janssen stores it so).' }));
  else memberSchemas[adminName(name)] = Type.Optional(schema);
}

export const AdminClientSchema = Type.Object(
  {
    inum: Type.String({ description: 'The client_id.' }),
    ...memberSchemas,
    clientIdIssuedAt: Type.String({ format: 'date-time' }),
    clientSecretExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: never.' }),
    expirationDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the client is gone; null: never.' }),
    disabled: Type.Boolean(),
    initialAccessTokenId: Type.Union([Type.String(), Type.Null()], { description: 'The initial access token the registration presented.' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Last use (an RFC 7592 call, a provider lookup), to the hour; null: not recorded.' }),
    inactivityExpirationDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the client is deleted if it stays unused (dynamicClientInactivityExpirationDays); null: never.',
    }),
    addressFinding: Type.Union(
      [Type.Object({ at: Type.String({ format: 'date-time' }), member: Type.String(), host: Type.String() }), Type.Null()],
      { description: 'The address re-check found this host of a URI servers dereference resolving to a private address; null: nothing found.' },
    ),
    customAttributes: Type.Record(Type.String(), Type.Unknown(), { description: 'Configured custom and language-tagged members, by their wire names.' }),
  },
  { additionalProperties: false, $id: 'Client', description: 'A registered client (Janssen config-api Client shape).' },
);

const iso = (ms: number) => new Date(ms).toISOString();

/** `inactivityDays`: dynamicClientInactivityExpirationDays (0: off). */
export function toAdminClient(record: ClientRecord, inactivityDays = 0): Record<string, unknown> {
  const client: Record<string, unknown> = { inum: record.clientId };
  const customAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record.metadata)) {
    if (name === 'scope') client.scopes = String(value).split(' ').filter(Boolean);
    else if (name === 'jwks') client.jwks = JSON.stringify(value);
    else if (FIELDS.has(name)) client[adminName(name)] = value;
    else if (languageTagged(name) || !FIELDS.has(name)) customAttributes[name] = value;
  }
  client.clientIdIssuedAt = iso(record.clientIdIssuedAt * 1000);
  client.clientSecretExpiresAt = record.secret === null || record.clientSecretExpiresAt === 0 ? null : iso(record.clientSecretExpiresAt * 1000);
  client.expirationDate = record.expiresAt === null ? null : iso(record.expiresAt);
  client.disabled = record.disabled === true;
  client.initialAccessTokenId = record.initialAccessTokenId ?? null;
  client.lastUsedAt = record.lastUsedAt === undefined ? null : iso(record.lastUsedAt);
  client.inactivityExpirationDate = inactivityDays > 0 ? iso((record.lastUsedAt ?? record.createdAt) + inactivityDays * 86_400_000) : null;
  client.addressFinding = record.addressFinding ? { ...record.addressFinding, at: iso(record.addressFinding.at) } : null;
  client.customAttributes = customAttributes;
  return client;
}
