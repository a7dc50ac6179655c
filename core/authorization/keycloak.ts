// Keycloak 26 through its admin REST API, authenticated as a service-account client of the realm
// (client credentials) or as an administrator of the master realm (admin-cli, password grant).
// Clients Registrar creates carry the attribute `registrar.issuer` = Registrar's issuer; no other
// client is ever changed or removed. Keycloak's client scopes are realm objects: the OAuth scopes
// of a client that name a client scope of the realm become its default client scopes.
import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import type { ClientRecord } from '../store/index.ts';
import { membersDiffer, sameValue } from './compare.ts';
import { documentLists } from './supported.ts';
import { ServerCallError, type AuthorizationServer, type ConnectionContext, type ServerClient } from './types.ts';

export interface KeycloakSettings {
  url: string;
  realm: string;
  adminClientId?: string | undefined;
  adminClientSecret?: string | undefined;
  adminUsername?: string | undefined;
  adminPassword?: string | undefined;
}

const MARKER = 'registrar.issuer';
/** The realm's signing keys are fetched again after this long, and on an unknown key at most this often. */
const KEYS_MAX_AGE_MS = 3_600_000;
const KEYS_REFETCH_MS = 30_000;

const AUTHENTICATORS: Record<string, string> = {
  client_secret_basic: 'client-secret',
  client_secret_post: 'client-secret',
  client_secret_jwt: 'client-secret-jwt',
  private_key_jwt: 'client-jwt',
  tls_client_auth: 'client-x509',
  self_signed_tls_client_auth: 'client-x509',
};

/** Registrar metadata member → Keycloak client attribute (string values). */
const ATTRIBUTES: ReadonlyArray<[string, string]> = [
  ['token_endpoint_auth_signing_alg', 'token.endpoint.auth.signing.alg'],
  ['id_token_signed_response_alg', 'id.token.signed.response.alg'],
  ['userinfo_signed_response_alg', 'user.info.response.signature.alg'],
  ['request_object_signing_alg', 'request.object.signature.alg'],
  ['tls_client_auth_subject_dn', 'x509.subjectdn'],
  ['logo_uri', 'logoUri'],
  ['policy_uri', 'policyUri'],
  ['tos_uri', 'tosUri'],
  ['backchannel_logout_uri', 'backchannel.logout.url'],
  ['frontchannel_logout_uri', 'frontchannel.logout.url'],
];

/** Top-level members the comparison looks at. */
const COMPARED = ['name', 'enabled', 'publicClient', 'clientAuthenticatorType', 'redirectUris', 'baseUrl', 'standardFlowEnabled', 'implicitFlowEnabled', 'directAccessGrantsEnabled', 'serviceAccountsEnabled'];

export const KEYCLOAK_MAPPING: ReadonlyArray<[string, string]> = [
  ['client_id', 'clientId'],
  ['client_secret', 'secret'],
  ['client_name', 'name'],
  ['client_uri', 'baseUrl'],
  ['redirect_uris', 'redirectUris'],
  ['token_endpoint_auth_method', 'clientAuthenticatorType (none: publicClient)'],
  ['grant_types', 'standardFlowEnabled, implicitFlowEnabled, directAccessGrantsEnabled, serviceAccountsEnabled; attributes use.refresh.tokens, oauth2.device.authorization.grant.enabled, oidc.ciba.grant.enabled'],
  ['scope', 'defaultClientScopes (the realm client scopes it names)'],
  ['jwks_uri', 'attributes use.jwks.url, jwks.url'],
  ['jwks', 'attributes use.jwks.string, jwks.string'],
  ['post_logout_redirect_uris', 'attribute post.logout.redirect.uris (## separated)'],
  ...ATTRIBUTES.map(([member, attribute]): [string, string] => [member, `attribute ${attribute}`]),
  ['(disabled by an administrator)', 'enabled: false'],
  ['client_status pending', 'not created until approved'],
  ['(marker)', `attribute ${MARKER} = Registrar issuer`],
];

const flag = (on: boolean) => (on ? 'true' : 'false');

/**
 * Lists of members this connection does not carry to Keycloak (encryption, JARM, CIBA delivery,
 * pairwise subjects need settings or mappers per client that it does not make): not offered.
 */
const NOT_CARRIED: Readonly<Record<string, string[]>> = {
  subject_types_supported: ['public'],
  id_token_encryption_alg_values_supported: [],
  id_token_encryption_enc_values_supported: [],
  userinfo_encryption_alg_values_supported: [],
  userinfo_encryption_enc_values_supported: [],
  request_object_encryption_alg_values_supported: [],
  request_object_encryption_enc_values_supported: [],
  authorization_signing_alg_values_supported: [],
  authorization_encryption_alg_values_supported: [],
  authorization_encryption_enc_values_supported: [],
  backchannel_token_delivery_modes_supported: [],
  backchannel_authentication_request_signing_alg_values_supported: [],
};

/** Clients asked of the admin API per page. */
const PAGE_SIZE = 100;

export function keycloak(settings: KeycloakSettings, { issuer, call, serverIssuer }: ConnectionContext): AuthorizationServer {
  const base = settings.url.replace(/\/+$/, '');
  const realmAdmin = `${base}/admin/realms/${encodeURIComponent(settings.realm)}`;
  const mine = (client: ServerClient) => (client.attributes as Record<string, unknown> | undefined)?.[MARKER] === issuer;
  let token: { value: string; until: number } | undefined;
  let realmScopes: Map<string, string> | undefined;
  // The realm's issuer as its discovery names it (a public hostname behind a proxy), else as reached here.
  const realmUrl = `${base}/realms/${encodeURIComponent(settings.realm)}`;
  const realmIssuer = () => serverIssuer() ?? realmUrl;
  let realmKeys: { set: ReturnType<typeof createLocalJWKSet>; fetchedAt: number } | undefined;
  async function loadRealmKeys() {
    const answer = await call('keys', `${realmUrl}/protocol/openid-connect/certs`);
    realmKeys = { set: createLocalJWKSet(answer.body as Parameters<typeof createLocalJWKSet>[0]), fetchedAt: Date.now() };
    return realmKeys;
  }

  async function adminToken(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const byClient = settings.adminClientId !== undefined;
    const answer = await call('token', `${base}/realms/${encodeURIComponent(byClient ? settings.realm : 'master')}/protocol/openid-connect/token`, {
      method: 'POST',
      form: byClient
        ? { grant_type: 'client_credentials', client_id: settings.adminClientId ?? '', client_secret: settings.adminClientSecret ?? '' }
        : { grant_type: 'password', client_id: 'admin-cli', username: settings.adminUsername ?? '', password: settings.adminPassword ?? '' },
    });
    const body = answer.body as { access_token?: string; expires_in?: number } | undefined;
    if (answer.status !== 200 || !body?.access_token) throw new ServerCallError('refused', 'token: Keycloak issued no admin access token');
    token = { value: body.access_token, until: Date.now() + Math.max(5, (body.expires_in ?? 60) - 10) * 1000 };
    return token.value;
  }

  /** An admin API call; a token Keycloak no longer accepts is replaced once. */
  const admin: typeof call = async (operation, url, options = {}) => {
    const attempt = async () => call(operation, url, { ...options, headers: { ...options.headers, authorization: `Bearer ${await adminToken()}` }, allow: [...(options.allow ?? [404]), 401] });
    let answer = await attempt();
    if (answer.status === 401) {
      token = undefined;
      answer = await attempt();
      if (answer.status === 401) throw new ServerCallError('refused', `${operation}: Keycloak refused the admin credentials`);
    }
    return answer;
  };

  async function scopesOfRealm(refresh = false): Promise<Map<string, string>> {
    if (realmScopes && !refresh) return realmScopes;
    const answer = await admin('scopes', `${realmAdmin}/client-scopes`);
    realmScopes = new Map(((answer.body as Array<{ id: string; name: string }> | undefined) ?? []).map((scope) => [scope.name, scope.id]));
    return realmScopes;
  }

  async function find(clientId: string): Promise<ServerClient | undefined> {
    const answer = await admin('get', `${realmAdmin}/clients?clientId=${encodeURIComponent(clientId)}&search=false`);
    return ((answer.body as ServerClient[] | undefined) ?? []).find((client) => client.clientId === clientId);
  }

  /** The wanted default client scopes that exist in the realm. */
  async function wantedScopes(client: ServerClient): Promise<string[]> {
    const known = await scopesOfRealm();
    return ((client.defaultClientScopes as string[] | undefined) ?? []).filter((name) => known.has(name));
  }

  /** Keycloak ignores defaultClientScopes on update: each one is added or removed on its own. */
  async function syncScopes(id: string, client: ServerClient): Promise<void> {
    const wanted = new Set(await wantedScopes(client));
    const known = await scopesOfRealm();
    const current = await admin('scopes', `${realmAdmin}/clients/${id}/default-client-scopes`);
    const held = new Set(((current.body as Array<{ name: string }> | undefined) ?? []).map((scope) => scope.name));
    for (const name of wanted) {
      if (!held.has(name)) await admin('update', `${realmAdmin}/clients/${id}/default-client-scopes/${known.get(name)}`, { method: 'PUT' });
    }
    for (const name of held) {
      if (!wanted.has(name) && known.has(name)) await admin('update', `${realmAdmin}/clients/${id}/default-client-scopes/${known.get(name)}`, { method: 'DELETE' });
    }
  }

  const server: AuthorizationServer = {
    type: 'keycloak',
    discoveryUrl: `${realmUrl}/.well-known/openid-configuration`,
    supported(document) {
      const lists = { ...documentLists(document), ...NOT_CARRIED };
      // Keycloak does not list `none`, yet serves public clients (PKCE) at its token endpoint.
      const methods = lists.token_endpoint_auth_methods_supported ?? [];
      lists.token_endpoint_auth_methods_supported = methods.includes('none') ? methods : [...methods, 'none'];
      return lists;
    },
    // The realm's client scopes are all it grants, and its discovery lists them.
    scopesComplete: true,
    pushes: true,
    secretMember: 'secret',
    represent(record: ClientRecord, secret: string | undefined) {
      const m = record.metadata;
      if (m.client_status === 'pending') return undefined;
      const grants = new Set(m.grant_types ?? ['authorization_code']);
      const method = m.token_endpoint_auth_method ?? 'client_secret_basic';
      const attributes: Record<string, string> = {
        [MARKER]: issuer,
        'use.refresh.tokens': flag(grants.has('refresh_token')),
        'oauth2.device.authorization.grant.enabled': flag(grants.has('urn:ietf:params:oauth:grant-type:device_code')),
        'oidc.ciba.grant.enabled': flag(grants.has('urn:openid:params:grant-type:ciba')),
        'post.logout.redirect.uris': (m.post_logout_redirect_uris ?? []).join('##'),
        'use.jwks.url': flag(typeof m.jwks_uri === 'string'),
        'jwks.url': m.jwks_uri ?? '',
        'use.jwks.string': flag(m.jwks !== undefined),
        'jwks.string': m.jwks === undefined ? '' : JSON.stringify(m.jwks),
      };
      for (const [member, attribute] of ATTRIBUTES) attributes[attribute] = typeof m[member] === 'string' ? (m[member] as string) : '';
      const scopes = (typeof m.scope === 'string' ? m.scope.split(' ') : []).filter((scope) => scope !== '' && scope !== 'openid');
      if (grants.has('client_credentials')) scopes.push('service_account');
      const client: ServerClient = {
        clientId: record.clientId,
        name: m.client_name ?? '',
        enabled: !record.disabled,
        protocol: 'openid-connect',
        publicClient: method === 'none',
        clientAuthenticatorType: AUTHENTICATORS[method] ?? 'client-secret',
        redirectUris: m.redirect_uris ?? [],
        baseUrl: m.client_uri ?? '',
        standardFlowEnabled: grants.has('authorization_code'),
        implicitFlowEnabled: grants.has('implicit'),
        directAccessGrantsEnabled: grants.has('password'),
        serviceAccountsEnabled: grants.has('client_credentials'),
        defaultClientScopes: [...new Set(scopes)],
        attributes,
      };
      if (secret !== undefined) client.secret = secret;
      return client;
    },
    async create(client) {
      const representation = { ...client, defaultClientScopes: await wantedScopes(client) };
      const answer = await admin('create', `${realmAdmin}/clients`, { method: 'POST', json: representation, allow: [409] });
      if (answer.status === 409) await server.update(client);
    },
    async update(client) {
      const existing = await find(String(client.clientId));
      if (!existing) return server.create(client);
      if (!mine(existing)) throw new ServerCallError('refused', 'update: Keycloak holds a client with this client_id that Registrar did not create');
      const { defaultClientScopes: _ignored, ...representation } = client;
      await admin('update', `${realmAdmin}/clients/${String(existing.id)}`, { method: 'PUT', json: { ...representation, id: existing.id } });
      await syncScopes(String(existing.id), client);
    },
    async remove(clientId) {
      const existing = await find(clientId);
      if (!existing || !mine(existing)) return;
      await admin('delete', `${realmAdmin}/clients/${String(existing.id)}`, { method: 'DELETE' });
    },
    async listManaged() {
      await scopesOfRealm(true);
      const found = new Map<string, ServerClient>();
      // Keycloak does not search by attribute unless configured to: every client of the realm is read, page by page.
      for (let first = 0; ; first += PAGE_SIZE) {
        const answer = await admin('list', `${realmAdmin}/clients?first=${first}&max=${PAGE_SIZE}`);
        const page = (answer.body as ServerClient[] | undefined) ?? [];
        for (const client of page) if (mine(client)) found.set(String(client.clientId), client);
        if (page.length < PAGE_SIZE) return found;
      }
    },
    identity: (client) => ({ clientId: client.clientId, attributes: { ...((client.attributes as object | undefined) ?? {}) } }),
    differs(wanted, actual) {
      if (membersDiffer(wanted, actual, COMPARED)) return true;
      const wantedAttributes = wanted.attributes as Record<string, string>;
      const actualAttributes = (actual.attributes as Record<string, string> | undefined) ?? {};
      if (membersDiffer(wantedAttributes, actualAttributes, Object.keys(wantedAttributes))) return true;
      const known = realmScopes ?? new Map<string, string>();
      const scopes = (client: ServerClient) => ((client.defaultClientScopes as string[] | undefined) ?? []).filter((name) => known.has(name));
      return !sameValue(scopes(wanted), scopes(actual));
    },
    async ping() {
      await call('ping', server.discoveryUrl ?? base);
    },
    // Keycloak's access tokens are JWTs signed with the realm's keys: verified here, no round trip.
    async verifyAccessToken(token: string) {
      const loaded = realmKeys && !(Date.now() - realmKeys.fetchedAt > KEYS_MAX_AGE_MS) ? realmKeys : await loadRealmKeys();
      try {
        return { ...(await jwtVerify(token, loaded.set, { issuer: realmIssuer() })).payload, active: true };
      } catch (err) {
        // A key rotated since: fetch the keys again, at most every KEYS_REFETCH_MS.
        if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - loaded.fetchedAt < KEYS_REFETCH_MS) return { active: false };
        const fresh = await loadRealmKeys();
        return jwtVerify(token, fresh.set, { issuer: realmIssuer() }).then(({ payload }) => ({ ...payload, active: true }), () => ({ active: false }));
      }
    },
  };
  return server;
}
