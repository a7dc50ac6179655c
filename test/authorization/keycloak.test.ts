// Registrar connected to a real Keycloak: clients registered at Registrar exist in the realm in the
// same request, get tokens there, follow every change, and the reconciler repairs the realm.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { available, clientCredentials, followsLifecycle, startKeycloak, type Keycloak } from '../helpers/authorizationServers.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { assertError } from '../helpers/server.ts';

const skip = !available('keycloak');
const REALM = 'demo';
const SERVICE_ACCOUNT = { id: 'registrar-admin', secret: 'registrar-admin-secret-0123456789' };
const USER = { username: 'alice', password: 'alice-password-0123' };

async function ok(response: Promise<Response>, what: string): Promise<any> {
  const answer = await response;
  const text = await answer.text();
  assert.ok(answer.ok, `${what}: ${answer.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** The demo realm, a service-account client allowed to manage its clients, and a user who can sign in. */
async function prepareRealm(keycloak: Keycloak): Promise<void> {
  await ok(keycloak.admin('POST', '/realms', { realm: REALM, enabled: true }), 'realm');
  await ok(
    keycloak.admin('POST', `/realms/${REALM}/clients`, { clientId: SERVICE_ACCOUNT.id, secret: SERVICE_ACCOUNT.secret, serviceAccountsEnabled: true, publicClient: false, standardFlowEnabled: false }),
    'service-account client',
  );
  const [client] = await ok(keycloak.admin('GET', `/realms/${REALM}/clients?clientId=${SERVICE_ACCOUNT.id}`), 'find client');
  const user = await ok(keycloak.admin('GET', `/realms/${REALM}/clients/${client.id}/service-account-user`), 'service account user');
  const [management] = await ok(keycloak.admin('GET', `/realms/${REALM}/clients?clientId=realm-management`), 'realm-management');
  const roles = await Promise.all(['manage-clients', 'view-clients'].map((role) => ok(keycloak.admin('GET', `/realms/${REALM}/clients/${management.id}/roles/${role}`), role)));
  await ok(keycloak.admin('POST', `/realms/${REALM}/users/${user.id}/role-mappings/clients/${management.id}`, roles), 'role mapping');
  await ok(
    keycloak.admin('POST', `/realms/${REALM}/users`, {
      username: USER.username,
      enabled: true,
      email: 'alice@example.com',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Example',
      credentials: [{ type: 'password', value: USER.password, temporary: false }],
    }),
    'user',
  );
}

describe('Registrar connected to Keycloak', { skip: skip && 'no Keycloak: run bash .ci/keycloak.sh' }, () => {
  let keycloak: Keycloak;
  let server: ScriptServer;
  let admin: string;
  let tokenEndpoint: string;
  const realmClient = async (clientId: string) => (await ok(keycloak.admin('GET', `/realms/${REALM}/clients?clientId=${encodeURIComponent(clientId)}`), 'find'))[0];

  before(async () => {
    keycloak = await startKeycloak();
    await prepareRealm(keycloak);
    server = await startAdminServer({
      properties: {
        authorizationServer: { type: 'keycloak', url: keycloak.url, realm: REALM, adminClientId: SERVICE_ACCOUNT.id, adminClientSecret: SERVICE_ACCOUNT.secret },
        authorizationServerSyncIntervalSeconds: 0,
      },
    });
    admin = await adminToken(server.url);
    tokenEndpoint = `${keycloak.url}/realms/${REALM}/protocol/openid-connect/token`;
  });
  after(async () => {
    await server?.close();
    await keycloak?.close();
  });

  test('discovery carries the realm endpoints with Registrar registration endpoint', async () => {
    await server.registrar.reconciler.run('demand');
    const document = (await server.request('GET', '/.well-known/openid-configuration')).json;
    assert.equal(document.token_endpoint, tokenEndpoint);
    assert.equal(document.issuer, `${keycloak.url}/realms/${REALM}`);
    assert.equal(document.registration_endpoint, `${server.url}/register`);
  });

  test('a client_credentials client gets a token from the realm with the credentials of the 201', async () => {
    const registered = await server.register({ grant_types: ['client_credentials'], response_types: [], scope: 'profile', client_name: 'machine' });
    assert.equal(registered.status, 201, registered.text);
    const token = await clientCredentials(tokenEndpoint, registered.json.client_id, registered.json.client_secret);
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.match(String(token.body.scope), /\bprofile\b/);
    const inRealm = await realmClient(registered.json.client_id);
    assert.equal(inRealm.name, 'machine');
    assert.equal(inRealm.attributes['registrar.issuer'], server.url);
  });

  test('an authorization-code client signs a user in and exchanges the code at the realm', async () => {
    const redirect = 'https://client.example.org/cb';
    const registered = await server.register({ redirect_uris: [redirect], grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile' });
    assert.equal(registered.status, 201, registered.text);
    const { client_id: clientId, client_secret: secret } = registered.json;
    const code = await signIn(keycloak, clientId, redirect);
    const exchanged = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect }).toString(),
    });
    const tokens = (await exchanged.json()) as Record<string, unknown>;
    assert.equal(exchanged.status, 200, JSON.stringify(tokens));
    assert.equal(typeof tokens.id_token, 'string');
    const wrong = await fetch(`${keycloak.url}/realms/${REALM}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: clientId, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid' })}`);
    assert.equal(wrong.status, 400);
  });

  test('PUT changes redirect URIs and scopes in the realm', async () => {
    const registered = await server.register({ redirect_uris: ['https://client.example.org/cb'], grant_types: ['authorization_code', 'client_credentials'], scope: 'openid profile' });
    const { client_id: clientId, client_secret: secret, registration_access_token: token } = registered.json;
    const updated = await server.request('PUT', `/register/${clientId}`, {
      token,
      json: { client_id: clientId, redirect_uris: ['https://client.example.org/other'], grant_types: ['authorization_code', 'client_credentials'], scope: 'openid email' },
    });
    assert.equal(updated.status, 200, updated.text);
    const inRealm = await realmClient(clientId);
    assert.deepEqual(inRealm.redirectUris, ['https://client.example.org/other']);
    assert.ok(inRealm.defaultClientScopes.includes('email'), inRealm.defaultClientScopes);
    assert.ok(!inRealm.defaultClientScopes.includes('profile'), inRealm.defaultClientScopes);
    const issued = await clientCredentials(tokenEndpoint, clientId, secret);
    assert.match(String(issued.body.scope), /\bemail\b/);
    assert.doesNotMatch(String(issued.body.scope), /\bprofile\b/);
  });

  test('secret rotation, disable and enable, and DELETE reach the realm in the same request', async () => {
    await followsLifecycle(server, admin, tokenEndpoint, {
      disabled: async (clientId) => assert.equal((await realmClient(clientId)).enabled, false),
      deleted: async (clientId) => assert.equal(await realmClient(clientId), undefined),
    });
  });

  test('the reconciler restores a client deleted in the realm and repairs a changed one; other clients stay', async () => {
    const kept = (await server.register({ grant_types: ['client_credentials'], response_types: [] })).json;
    const changed = (await server.register({ redirect_uris: ['https://client.example.org/cb'] })).json;
    await ok(keycloak.admin('DELETE', `/realms/${REALM}/clients/${(await realmClient(kept.client_id)).id}`), 'delete behind the back');
    const tampered = await realmClient(changed.client_id);
    await ok(keycloak.admin('PUT', `/realms/${REALM}/clients/${tampered.id}`, { ...tampered, redirectUris: ['https://evil.example/cb'] }), 'tamper');
    const run = await server.request('POST', '/admin/authorization-server/sync', { token: admin });
    assert.equal(run.status, 200, run.text);
    const changes = Object.fromEntries(run.json.changes.map((entry: { clientId: string; change: string }) => [entry.clientId, entry.change]));
    assert.equal(changes[kept.client_id], 'created');
    assert.equal(changes[changed.client_id], 'updated');
    assert.equal(Object.keys(changes).length, 2, run.text);
    assert.equal((await clientCredentials(tokenEndpoint, kept.client_id, kept.client_secret)).status, 200);
    assert.deepEqual((await realmClient(changed.client_id)).redirectUris, ['https://client.example.org/cb']);
    assert.ok(await realmClient(SERVICE_ACCOUNT.id));
    const again = (await server.request('POST', '/admin/authorization-server/sync', { token: admin })).json;
    assert.equal(again.created + again.updated + again.deleted, 0, JSON.stringify(again));
  });

  test("open-banking management: the client's own Keycloak access token, introspected with the connection's client", async () => {
    server.registrar.config.replace({ ...server.registrar.config.current, dcrAuthorizationWithClientCredentials: true });
    try {
      const mine = (await server.register({ grant_types: ['client_credentials'], response_types: [] })).json;
      const other = (await server.register({ grant_types: ['client_credentials'], response_types: [] })).json;
      const token = String((await clientCredentials(tokenEndpoint, mine.client_id, mine.client_secret)).body.access_token);
      const otherToken = String((await clientCredentials(tokenEndpoint, other.client_id, other.client_secret)).body.access_token);
      const read = await server.request('GET', `/register/${mine.client_id}`, { token });
      assert.equal(read.status, 200, read.text);
      assertError(await server.request('GET', `/register/${mine.client_id}`, { token: otherToken }), 401, 'invalid_token');
    } finally {
      server.registrar.config.replace({ ...server.registrar.config.current, dcrAuthorizationWithClientCredentials: false });
    }
  });

  test('the master realm administrator (adminUsername / adminPassword) works as the connection too', async () => {
    const other = await startAdminServer({
      properties: { authorizationServer: { type: 'keycloak', url: keycloak.url, realm: REALM, adminUsername: keycloak.adminUsername, adminPassword: keycloak.adminPassword }, authorizationServerSyncIntervalSeconds: 0 },
    });
    try {
      const registered = await other.register({ grant_types: ['client_credentials'], response_types: [] });
      assert.equal(registered.status, 201, registered.text);
      assert.equal((await clientCredentials(tokenEndpoint, registered.json.client_id, registered.json.client_secret)).status, 200);
    } finally {
      await other.close();
    }
  });

  // Last: Keycloak keeps this realm in memory, so it is not started again.
  test('Keycloak stopped: registration answers 503 and nothing is stored', async () => {
    const before = (await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount;
    await keycloak.stop();
    const refused = await server.register({ grant_types: ['client_credentials'], response_types: [] });
    assertError(refused, 503, 'temporarily_unavailable');
    assert.equal((await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount, before);
    assert.equal((await server.request('GET', '/health/ready')).status, 503);
  });
});

/** Keycloak's login form, filled in as a browser would: the authorization code at the redirect URI. */
async function signIn(keycloak: Keycloak, clientId: string, redirectUri: string): Promise<string> {
  const cookies = new Map<string, string>();
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  };
  const cookie = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const query = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 'state-0123456789' });
  const page = await fetch(`${keycloak.url}/realms/${REALM}/protocol/openid-connect/auth?${query}`);
  remember(page);
  const html = await page.text();
  assert.equal(page.status, 200, html.slice(0, 500));
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1] ?? assert.fail('no login form');
  const posted = await fetch(action.replace(/&amp;/g, '&'), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    body: new URLSearchParams({ username: USER.username, password: USER.password, credentialId: '' }).toString(),
  });
  assert.equal(posted.status, 302, (await posted.text()).slice(0, 500));
  const back = new URL(posted.headers.get('location') ?? '');
  assert.equal(`${back.origin}${back.pathname}`, redirectUri);
  return back.searchParams.get('code') ?? assert.fail(`no code in ${back.href}`);
}
