// Ory Hydra 2.x through its admin API (/admin/clients). Hydra has no "disabled" state: a client
// disabled at Registrar is removed from Hydra (its tokens stop working) and created again, with
// the same credentials, when it is enabled. Clients Registrar creates carry
// `metadata.registrar` = Registrar's issuer; no other client is ever changed or removed.
import type { ClientRecord } from '../store/index.ts';
import { membersDiffer } from './compare.ts';
import { documentLists } from './supported.ts';
import { ServerCallError, type AuthorizationServer, type ConnectionContext, type ServerClient } from './types.ts';

/** Registrar's metadata members Hydra models under the same name. */
const SAME_NAME = [
  'client_name',
  'redirect_uris',
  'post_logout_redirect_uris',
  'grant_types',
  'response_types',
  'scope',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'jwks',
  'jwks_uri',
  'contacts',
  'client_uri',
  'logo_uri',
  'policy_uri',
  'tos_uri',
  'sector_identifier_uri',
  'subject_type',
  'userinfo_signed_response_alg',
  'request_object_signing_alg',
  'request_uris',
  'frontchannel_logout_uri',
  'frontchannel_logout_session_required',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
] as const;

/** Registrar (Janssen) members Hydra models under another name. */
const RENAMED: ReadonlyArray<[string, string]> = [
  ['additional_audience', 'audience'],
  ['authorized_origins', 'allowed_cors_origins'],
];

/** Members the comparison looks at: the mapped ones and the marker (not the secret, which Hydra only keeps hashed). */
const COMPARED = [...SAME_NAME, ...RENAMED.map(([, there]) => there), 'access_token_strategy', 'skip_consent', 'metadata'];

export const HYDRA_MAPPING: ReadonlyArray<[string, string]> = [
  ...SAME_NAME.map((member): [string, string] => [member, member]),
  ['client_id', 'client_id'],
  ['client_secret', 'client_secret (Hydra keeps a hash)'],
  ...RENAMED,
  ['access_token_as_jwt', "access_token_strategy ('jwt' or 'opaque')"],
  ['trusted_client', 'skip_consent'],
  ['userinfo_signed_response_alg (absent)', "userinfo_signed_response_alg 'none' (plain JSON)"],
  ['(disabled by an administrator)', 'client removed, created again when enabled'],
  ['client_status pending', 'not created until approved'],
  ['(marker)', 'metadata.registrar = Registrar issuer'],
];

/** Hydra's answer when its database refused a transaction that raced another (SQL serialization failure): worth another try. */
const RACED = /serializ|concurrent update/i;
const ATTEMPTS = 4;

/** Clients asked of Hydra's admin API per page. */
const PAGE_SIZE = 500;

export function hydra(settings: { adminUrl: string; issuer: string; metadataUrl?: string | undefined }, context: ConnectionContext): AuthorizationServer {
  const { issuer } = context;
  const call: typeof context.call = async (operation, url, options) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await context.call(operation, url, options);
      } catch (err) {
        if (attempt >= ATTEMPTS || !(err instanceof ServerCallError) || !RACED.test(err.message)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
      }
    }
  };
  const admin = settings.adminUrl.replace(/\/+$/, '');
  const clientUrl = (clientId: string) => `${admin}/admin/clients/${encodeURIComponent(clientId)}`;
  const mine = (client: ServerClient) => (client.metadata as { registrar?: unknown } | null | undefined)?.registrar === issuer;

  const server: AuthorizationServer = {
    type: 'hydra',
    discoveryUrl: settings.metadataUrl ?? `${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
    supported: documentLists,
    // Hydra grants any scope a client was registered with; its scopes_supported names a few.
    scopesComplete: false,
    pushes: true,
    secretMember: 'client_secret',
    represent(record: ClientRecord, secret: string | undefined) {
      if (record.disabled || record.metadata.client_status === 'pending') return undefined;
      const client: ServerClient = { client_id: record.clientId };
      for (const member of SAME_NAME) if (record.metadata[member] !== undefined) client[member] = record.metadata[member];
      for (const [member, there] of RENAMED) if (record.metadata[member] !== undefined) client[there] = record.metadata[member];
      const asJwt = record.metadata.access_token_as_jwt;
      if (typeof asJwt === 'boolean') client.access_token_strategy = asJwt ? 'jwt' : 'opaque';
      // Hydra's own value for "userinfo is plain JSON"; it answers with it when nothing is set.
      client.userinfo_signed_response_alg ??= 'none';
      if (secret !== undefined) client.client_secret = secret;
      client.skip_consent = record.metadata.trusted_client === true;
      client.metadata = { registrar: issuer };
      return client;
    },
    async create(client) {
      const answer = await call('create', `${admin}/admin/clients`, { method: 'POST', json: client, allow: [409] });
      if (answer.status !== 409) return;
      // Left behind by an earlier attempt whose undo failed: replace it, when it is ours.
      const existing = await call('get', clientUrl(String(client.client_id)));
      if (existing.status === 404 || !mine(existing.body as ServerClient)) {
        throw new ServerCallError('refused', 'create: Hydra already has a client with this client_id that Registrar did not create');
      }
      await call('update', clientUrl(String(client.client_id)), { method: 'PUT', json: client });
    },
    async update(client) {
      const answer = await call('update', clientUrl(String(client.client_id)), { method: 'PUT', json: client });
      if (answer.status === 404) await server.create(client);
    },
    async remove(clientId) {
      await call('delete', clientUrl(clientId), { method: 'DELETE' });
    },
    async listManaged() {
      const found = new Map<string, ServerClient>();
      let next: string | undefined = `${admin}/admin/clients?page_size=${PAGE_SIZE}`;
      while (next) {
        const answer = await call('list', next);
        const page = (answer.body as ServerClient[] | undefined) ?? [];
        for (const client of page) if (mine(client)) found.set(String(client.client_id), client);
        // Hydra links a next page from every page, the last and empty ones too: a short page is the end.
        next = page.length < PAGE_SIZE ? undefined : nextPage(answer.headers.link, admin);
      }
      return found;
    },
    identity: (client) => ({ client_id: client.client_id, metadata: client.metadata }),
    differs: (wanted, actual) => membersDiffer(wanted, actual, COMPARED),
    async ping() {
      await call('ping', `${admin}/health/alive`);
    },
    // Opaque or JWT, Hydra's admin API introspects its own tokens.
    async verifyAccessToken(token) {
      const answer = await call('introspect', `${admin}/admin/oauth2/introspect`, { method: 'POST', form: { token } });
      return (answer.body as Record<string, unknown> | undefined) ?? { active: false };
    },
  };
  return server;
}

/** The `rel="next"` target of a Link header (RFC 8288), made absolute against the admin URL. */
function nextPage(link: string | string[] | undefined, base: string): string | undefined {
  const header = Array.isArray(link) ? link.join(',') : link;
  const next = header?.split(',').find((part) => /rel="?next"?/.test(part));
  const target = next && /<([^>]*)>/.exec(next)?.[1];
  return target ? new URL(target, `${base}/`).href : undefined;
}
