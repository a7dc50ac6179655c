// Registrar connected to a real Ory Hydra: every client change reaches Hydra in the same request,
// the credentials of a 201 work at Hydra's token endpoint, failures leave nothing behind, and the
// reconciler repairs what changed behind Registrar's back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { available, clientCredentials, followsLifecycle, startHydra, type Hydra } from '../helpers/authorizationServers.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { signInAtHydra } from '../helpers/signIn.ts';
import { assertError, freePort, httpRequest } from '../helpers/server.ts';
import { openidClient } from '../helpers/clientLibraries.ts';

const skip = !available('hydra');

describe('Registrar connected to Ory Hydra', { skip: skip && 'no Hydra: run bash .ci/hydra.sh' }, () => {
  let hydra: Hydra;
  let server: ScriptServer;
  let admin: string;
  let tokenEndpoint: string;
  const hydraClient = (clientId: string) => httpRequest(`${hydra.adminUrl}/admin/clients/${encodeURIComponent(clientId)}`, 'GET');

  before(async () => {
    // As the README runs them: Hydra's discovery names Registrar's registration endpoint.
    const port = await freePort();
    hydra = await startHydra({ registrationEndpoint: `http://127.0.0.1:${port}/register` });
    server = await startAdminServer({ port, properties: { authorizationServer: { type: 'hydra', adminUrl: hydra.adminUrl, issuer: hydra.issuer }, authorizationServerSyncIntervalSeconds: 0 } });
    admin = await adminToken(server.url);
    tokenEndpoint = `${hydra.issuer}/oauth2/token`;
  });
  after(async () => {
    await server?.close();
    await hydra?.close();
  });

  test("Hydra's discovery names Registrar: clients discover at Hydra's issuer, and Registrar's own document is its registration metadata", async () => {
    const document = (await server.request('GET', '/.well-known/oauth-authorization-server')).json;
    assert.equal(document.issuer, server.url);
    assert.equal(document.registration_endpoint, `${server.url}/register`);
    // Hydra's endpoints issue tokens under Hydra's issuer: they are not Registrar's to publish.
    assert.equal(document.token_endpoint, undefined);
    assert.equal(document.authorization_endpoint, undefined);
    const status = (await server.request('GET', '/admin/authorization-server', { token: admin })).json;
    assert.equal(status.issuer, hydra.issuer);
    assert.deepEqual(status.topology, { kind: 'server-discovery', issuer: hydra.issuer });
  });

  test("openid-client discovers at Hydra's issuer, registers at Registrar and gets tokens at Hydra", async () => {
    await openidClient({ issuer: hydra.issuer, signIn: signInAtHydra(hydra.adminUrl), scope: 'offline' });
  });

  test('discovery advertises only what works at Hydra too, and registration refuses the rest before Hydra is asked', async () => {
    const document = (await server.request('GET', '/.well-known/openid-configuration')).json;
    assert.deepEqual([...document.token_endpoint_auth_methods_supported].sort(), ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
    assert.deepEqual([...document.grant_types_supported].sort(), ['authorization_code', 'client_credentials', 'implicit', 'refresh_token']);
    assert.deepEqual(document.subject_types_supported, ['public']);
    assert.equal(document.id_token_encryption_alg_values_supported, undefined);
    // Hydra grants any scope a client holds: none it advertises (offline) is dropped, none of Registrar's either.
    for (const scope of ['offline', 'offline_access', 'openid', 'profile']) assert.ok(document.scopes_supported.includes(scope), scope);
    const calls = () => server.registrar.metrics.serverCalls.get().then((metric) => metric.values.filter((value) => value.labels.operation === 'create').reduce((sum, value) => sum + value.value, 0));
    const before = await calls();
    for (const [request, member] of [
      [{ grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_jwt' }, /token_endpoint_auth_method "client_secret_jwt"/],
      [{ grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [] }, /device_code/],
      [{ redirect_uris: ['https://client.example.org/cb'], subject_type: 'pairwise' }, /subject_type "pairwise"/],
      [{ redirect_uris: ['https://client.example.org/cb'], id_token_encrypted_response_alg: 'RSA-OAEP' }, /id_token_encrypted_response_alg/],
    ] as const) {
      assertError(await server.register(request), 400, 'invalid_client_metadata', member);
    }
    assert.equal(await calls(), before, 'Hydra was asked');
    const offline = await server.register({ grant_types: ['client_credentials'], response_types: [], scope: 'offline openid' });
    assert.equal(offline.status, 201, offline.text);
    assert.equal(offline.json.scope, 'offline openid');
  });

  test('a client_credentials client gets a token at Hydra with the credentials of the 201', async () => {
    const registered = await server.register({
      grant_types: ['client_credentials'],
      response_types: [],
      scope: 'profile email',
      client_name: 'machine',
      access_token_as_jwt: true,
      additional_audience: ['https://api.example.com'],
    });
    assert.equal(registered.status, 201, registered.text);
    const token = await clientCredentials(tokenEndpoint, registered.json.client_id, registered.json.client_secret, 'profile');
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.scope, 'profile');
    const claims = JSON.parse(Buffer.from(String(token.body.access_token).split('.')[1] ?? '', 'base64url').toString());
    assert.equal(claims.client_id, registered.json.client_id);
    const atHydra = (await hydraClient(registered.json.client_id)).json;
    assert.equal(atHydra.client_name, 'machine');
    assert.equal(atHydra.access_token_strategy, 'jwt');
    assert.deepEqual(atHydra.audience, ['https://api.example.com']);
    assert.deepEqual(atHydra.metadata, { registrar: server.url });
  });

  test('an authorization-code client completes the code flow at Hydra with its registered redirect URI', async () => {
    const redirect = 'https://client.example.org/cb';
    const registered = await server.register({ redirect_uris: [redirect], grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid' });
    assert.equal(registered.status, 201, registered.text);
    const { client_id: clientId, client_secret: secret } = registered.json;
    const query = new URLSearchParams({ client_id: clientId, redirect_uri: redirect, response_type: 'code', scope: 'openid', state: 'state-0123456789', nonce: 'nonce-0123456789' });
    const code = (await signInAtHydra(hydra.adminUrl)(`${hydra.issuer}/oauth2/auth?${query}`, redirect)).searchParams.get('code') ?? assert.fail('no code');
    const exchanged = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect }).toString(),
    });
    const tokens = (await exchanged.json()) as Record<string, unknown>;
    assert.equal(exchanged.status, 200, JSON.stringify(tokens));
    assert.equal(typeof tokens.id_token, 'string');
    // A redirect URI that was not registered is refused by Hydra itself.
    const wrong = await fetch(`${hydra.issuer}/oauth2/auth?${new URLSearchParams({ client_id: clientId, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid', state: 'state-0123456789' })}`, { redirect: 'manual' });
    assert.doesNotMatch(wrong.headers.get('location') ?? '', /login_challenge/);
  });

  test('PUT changes redirect URIs and scope at Hydra; the token endpoint follows', async () => {
    const registered = await server.register({ redirect_uris: ['https://client.example.org/cb'], grant_types: ['authorization_code', 'client_credentials'], scope: 'openid profile' });
    const { client_id: clientId, client_secret: secret, registration_access_token: token } = registered.json;
    assert.equal((await clientCredentials(tokenEndpoint, clientId, secret, 'email')).status, 400);
    const updated = await server.request('PUT', `/register/${clientId}`, {
      token,
      json: { client_id: clientId, redirect_uris: ['https://client.example.org/other'], grant_types: ['authorization_code', 'client_credentials'], scope: 'openid email' },
    });
    assert.equal(updated.status, 200, updated.text);
    const atHydra = (await hydraClient(clientId)).json;
    assert.deepEqual(atHydra.redirect_uris, ['https://client.example.org/other']);
    assert.equal(atHydra.scope, 'openid email');
    assert.equal((await clientCredentials(tokenEndpoint, clientId, secret, 'email')).status, 200);
    assert.equal((await clientCredentials(tokenEndpoint, clientId, secret, 'profile')).status, 400);
  });

  test('secret rotation, disable and enable, and DELETE reach Hydra in the same request', async () => {
    const absent = async (clientId: string) => assert.equal((await hydraClient(clientId)).status, 404);
    await followsLifecycle(server, admin, tokenEndpoint, { disabled: absent, deleted: absent });
  });

  test('a representation Hydra refuses fails the registration with 502 and leaves nothing behind', async () => {
    const before = (await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount;
    await server.put('hydra-refused', `export function modifyAuthorizationServerClient(serverClient) { serverClient.subject_type = 'pairwise'; return serverClient; }`);
    try {
      const refused = await server.register({ grant_types: ['client_credentials'], response_types: [] });
      assertError(refused, 502, 'server_error', /authorization server refused.*pairwise/);
      assert.equal((await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount, before);
    } finally {
      await server.drop('hydra-refused');
    }
  });

  test('a script changes the representation Hydra receives (modifyAuthorizationServerClient)', async () => {
    await server.put(
      'hydra-audience',
      `export function modifyAuthorizationServerClient(serverClient, context) {
        if (context.authorizationServer !== 'hydra') return true;
        serverClient.audience = ['https://api.example.com'];
        serverClient.client_id = 'hijacked';
        return true;
      }`,
    );
    try {
      const registered = await server.register({ grant_types: ['client_credentials'], response_types: [] });
      assert.equal(registered.status, 201, registered.text);
      const atHydra = (await hydraClient(registered.json.client_id)).json;
      assert.deepEqual(atHydra.audience, ['https://api.example.com']);
      assert.equal((await hydraClient('hijacked')).status, 404);
      assert.equal((await clientCredentials(tokenEndpoint, registered.json.client_id, registered.json.client_secret)).status, 200);
    } finally {
      await server.drop('hydra-audience');
    }
  });

  test('a registration waiting for approval reaches Hydra when approved, not before', async () => {
    await server.put('queue-all', `export function createClient(context) { context.client.client_status = 'pending'; return true; }`);
    try {
      const registered = (await server.register({ grant_types: ['client_credentials'], response_types: [] })).json;
      assert.equal(registered.client_status, 'pending');
      assert.equal((await hydraClient(registered.client_id)).status, 404);
      assert.equal((await server.request('POST', `/admin/clients/${registered.client_id}/approve`, { token: admin })).status, 200);
      assert.equal((await clientCredentials(tokenEndpoint, registered.client_id, registered.client_secret)).status, 200);
    } finally {
      await server.drop('queue-all');
    }
  });

  test('open-banking management: the client\'s own Hydra access token works for RFC 7592 calls where the profile allows it', async () => {
    const managed = await startAdminServer({
      properties: { authorizationServer: { type: 'hydra', adminUrl: hydra.adminUrl, issuer: hydra.issuer }, authorizationServerSyncIntervalSeconds: 0, dcrAuthorizationWithClientCredentials: true },
    });
    try {
      const mine = (await managed.register({ grant_types: ['client_credentials'], response_types: [] })).json;
      const other = (await managed.register({ grant_types: ['client_credentials'], response_types: [] })).json;
      const accessToken = String((await clientCredentials(tokenEndpoint, mine.client_id, mine.client_secret)).body.access_token);
      const otherToken = String((await clientCredentials(tokenEndpoint, other.client_id, other.client_secret)).body.access_token);
      // Opaque tokens are introspected at Hydra's admin API with no further configuration.
      const read = await managed.request('GET', `/register/${mine.client_id}`, { token: accessToken });
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.registration_access_token, undefined, 'an access token is not echoed as a registration access token');
      assertError(await managed.request('GET', `/register/${mine.client_id}`, { token: otherToken }), 401, 'invalid_token');
      assertError(await managed.request('GET', `/register/${mine.client_id}`, { token: 'not-a-token' }), 401, 'invalid_token');
      const updated = await managed.request('PUT', `/register/${mine.client_id}`, { token: accessToken, json: { client_id: mine.client_id, grant_types: ['client_credentials'], response_types: [], client_name: 'managed' } });
      assert.equal(updated.status, 200, updated.text);
      // The registration access token keeps working; the profile off, the access token does not.
      assert.equal((await managed.request('GET', `/register/${mine.client_id}`, { token: mine.registration_access_token })).status, 200);
      managed.registrar.config.replace({ ...managed.registrar.config.current, dcrAuthorizationWithClientCredentials: false });
      assertError(await managed.request('GET', `/register/${mine.client_id}`, { token: accessToken }), 401, 'invalid_token');
      // JWT access tokens verified with Hydra's keys and issuer.
      managed.registrar.config.replace({
        ...managed.registrar.config.current,
        dcrAuthorizationWithClientCredentials: true,
        dcrAuthorizationJwksUri: `${hydra.issuer}/.well-known/jwks.json`,
        dcrAuthorizationIssuer: hydra.issuer,
        outboundAllowHttp: true,
        outboundAllowPrivateAddresses: true,
      });
      const jwtClient = (await managed.register({ grant_types: ['client_credentials'], response_types: [], access_token_as_jwt: true })).json;
      const jwt = String((await clientCredentials(tokenEndpoint, jwtClient.client_id, jwtClient.client_secret)).body.access_token);
      assert.equal(jwt.split('.').length, 3);
      assert.equal((await managed.request('GET', `/register/${jwtClient.client_id}`, { token: jwt })).status, 200);
      assertError(await managed.request('GET', `/register/${mine.client_id}`, { token: jwt }), 401, 'invalid_token');
    } finally {
      await managed.close();
    }
  });

  test('the reconciler restores, repairs and removes clients at Hydra, and never touches one it did not create', async () => {
    const kept = (await server.register({ grant_types: ['client_credentials'], response_types: [], client_name: 'kept' })).json;
    const changed = (await server.register({ redirect_uris: ['https://client.example.org/cb'], client_name: 'changed' })).json;
    await httpRequest(`${hydra.adminUrl}/admin/clients/${kept.client_id}`, 'DELETE');
    const tampered = (await hydraClient(changed.client_id)).json;
    await httpRequest(`${hydra.adminUrl}/admin/clients/${changed.client_id}`, 'PUT', { json: { ...tampered, redirect_uris: ['https://evil.example/cb'] } });
    const foreign = await httpRequest(`${hydra.adminUrl}/admin/clients`, 'POST', { json: { client_id: `foreign-${Date.now()}`, grant_types: ['client_credentials'] } });
    assert.equal(foreign.status, 201, foreign.text);
    const orphan = await httpRequest(`${hydra.adminUrl}/admin/clients`, 'POST', { json: { client_id: `orphan-${Date.now()}`, grant_types: ['client_credentials'], metadata: { registrar: server.url } } });

    const run = await server.request('POST', '/admin/authorization-server/sync', { token: admin });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.json.outcome, 'ok');
    const changes = Object.fromEntries(run.json.changes.map((entry: { clientId: string; change: string }) => [entry.clientId, entry.change]));
    assert.equal(changes[kept.client_id], 'created');
    assert.equal(changes[changed.client_id], 'updated');
    assert.equal(changes[orphan.json.client_id], 'deleted');
    assert.equal(changes[foreign.json.client_id], undefined);

    assert.equal((await clientCredentials(tokenEndpoint, kept.client_id, kept.client_secret)).status, 200);
    assert.deepEqual((await hydraClient(changed.client_id)).json.redirect_uris, ['https://client.example.org/cb']);
    assert.equal((await hydraClient(foreign.json.client_id)).status, 200);
    assert.equal((await hydraClient(orphan.json.client_id)).status, 404);
    const status = await server.request('GET', '/admin/authorization-server', { token: admin });
    assert.equal(status.json.type, 'hydra');
    assert.equal(status.json.lastSync.outcome, 'ok');
    // A second run finds nothing to do, and asks Hydra for one page of clients.
    const again = (await server.request('POST', '/admin/authorization-server/sync', { token: admin })).json;
    assert.equal(again.created + again.updated + again.deleted, 0, JSON.stringify(again));
    assert.equal(again.calls, 1, JSON.stringify(again));
    assert.match((await server.request('GET', '/metrics')).text, /registrar_authorization_server_sync_last_run_calls 1/);
  });

  test('Hydra down: registration answers 503 with Retry-After and nothing is stored; readiness says so; the reconciler restores its clients after', async () => {
    const before = (await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount;
    const survivor = (await server.register({ grant_types: ['client_credentials'], response_types: [] })).json;
    await hydra.stop();
    try {
      const refused = await server.register({ grant_types: ['client_credentials'], response_types: [] });
      assertError(refused, 503, 'temporarily_unavailable');
      assert.equal(refused.headers.get('retry-after'), '5');
      assert.equal((await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount, before + 1);
      const ready = await server.request('GET', '/health/ready');
      assert.equal(ready.status, 503);
      assert.notEqual(ready.json.authorizationServer, 'ok');
      const metrics = (await server.request('GET', '/metrics')).text;
      assert.match(metrics, /registrar_authorization_server_calls_total\{operation="create",outcome="unavailable"\} [1-9]/);
      assert.match(metrics, /registrar_authorization_server_up 0/);
    } finally {
      await hydra.start();
    }
    // Hydra kept its clients in memory: they are gone, and the reconciler brings them back.
    const run = (await server.request('POST', '/admin/authorization-server/sync', { token: admin })).json;
    assert.equal(run.outcome, 'ok');
    assert.ok(run.created >= 1, JSON.stringify(run));
    assert.equal((await clientCredentials(tokenEndpoint, survivor.client_id, survivor.client_secret)).status, 200);
    assert.equal((await server.request('GET', '/health/ready')).status, 200);
  });
});
