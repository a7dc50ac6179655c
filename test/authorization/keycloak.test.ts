// Registrar connected to a real Keycloak: clients registered at Registrar exist in the realm in the
// same request, get tokens there, follow every change, and the reconciler repairs the realm.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { available, clientCredentials, followsLifecycle, KEYCLOAK_REALM, keycloakOk as ok, prepareKeycloakRealm, startKeycloak, type Keycloak } from '../helpers/authorizationServers.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { signInAtKeycloak } from '../helpers/signIn.ts';
import { assertError } from '../helpers/server.ts';

const skip = !available('keycloak');
const { realm: REALM, serviceAccount: SERVICE_ACCOUNT, user: USER } = KEYCLOAK_REALM;

describe('Registrar connected to Keycloak', { skip: skip && 'no Keycloak: run bash .ci/keycloak.sh' }, () => {
  let keycloak: Keycloak;
  let server: ScriptServer;
  let admin: string;
  let tokenEndpoint: string;
  const realmClient = async (clientId: string) => (await ok(keycloak.admin('GET', `/realms/${REALM}/clients?clientId=${encodeURIComponent(clientId)}`), 'find'))[0];

  before(async () => {
    keycloak = await startKeycloak();
    await prepareKeycloakRealm(keycloak);
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

  test("discovery names Registrar's issuer and advertises only what works at the realm too", async () => {
    const document = (await server.request('GET', '/.well-known/openid-configuration')).json;
    assert.equal(document.issuer, server.url);
    assert.equal(document.registration_endpoint, `${server.url}/register`);
    assert.equal(document.token_endpoint, undefined);
    // Keycloak lists no `none`, yet serves public clients; it does not list self-signed certificates.
    assert.ok(document.token_endpoint_auth_methods_supported.includes('none'));
    assert.ok(!document.token_endpoint_auth_methods_supported.includes('self_signed_tls_client_auth'));
    // What this connection does not carry to Keycloak is not offered.
    assert.deepEqual(document.subject_types_supported, ['public']);
    assert.equal(document.id_token_encryption_alg_values_supported, undefined);
    assertError(await server.register({ redirect_uris: ['https://client.example.org/cb'], token_endpoint_auth_method: 'self_signed_tls_client_auth' }), 400, 'invalid_client_metadata', /self_signed_tls_client_auth/);
    const status = (await server.request('GET', '/admin/authorization-server', { token: admin })).json;
    assert.equal(status.issuer, `${keycloak.url}/realms/${REALM}`);
    assert.equal(status.topology.kind, 'split');
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
    const query = new URLSearchParams({ client_id: clientId, redirect_uri: redirect, response_type: 'code', scope: 'openid', state: 'state-0123456789' });
    const code = (await signInAtKeycloak(USER)(`${keycloak.url}/realms/${REALM}/protocol/openid-connect/auth?${query}`, redirect)).searchParams.get('code') ?? assert.fail('no code');
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
