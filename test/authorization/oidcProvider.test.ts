// node-oidc-provider reading Registrar's store through `registrar/oidc-provider`: clients
// registered at Registrar authenticate at the provider at once, and every change follows.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import Provider from 'oidc-provider';
import { registrarAdapter } from '../../core/authorization/oidcProviderAdapter.ts';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { ADMIN_ID, ADMIN_SECRET, adminToken, startAdminServer } from '../helpers/admin.ts';
import { certificateAuthority, issue } from '../helpers/certificates.ts';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { followsLifecycle } from '../helpers/authorizationServers.ts';
import { startWireServer, wireServerAvailable, WIRE_SERVER_UNAVAILABLE, type WireServer } from '../helpers/mongo.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { freePort } from '../helpers/server.ts';

type Adapter = ReturnType<typeof registrarAdapter>;

async function startProvider(adapter: Adapter): Promise<{ issuer: string; close(): Promise<void> }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    adapter,
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: true } },
    scopes: ['openid', 'profile', 'email', 'api:read'],
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  const server: Server = provider.listen(port, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { issuer, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The client lifecycle, then an authorization-code client whose redirect URI moves: the provider follows each step. */
async function followsRegistrar(registrar: ScriptServer, tokenEndpoint: string, issuer: string): Promise<void> {
  await followsLifecycle(registrar, await adminToken(registrar.url), tokenEndpoint);

  // An authorization-code client: the provider accepts its registered redirect URI, and only that.
  const web = (await registrar.register({ redirect_uris: ['https://client.example.org/cb'], scope: 'openid' })).json;
  const authorize = (redirectUri: string) =>
    fetch(`${issuer}/auth?${new URLSearchParams({ client_id: web.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid' })}`, { redirect: 'manual' });
  const accepted = await authorize('https://client.example.org/cb');
  assert.equal(accepted.status, 303);
  assert.match(accepted.headers.get('location') ?? '', /^\/interaction\//);
  assert.equal((await authorize('https://client.example.org/other')).status, 400);

  // PUT moves the redirect URI: the provider follows at once.
  const updated = await registrar.request('PUT', `/register/${web.client_id}`, {
    token: web.registration_access_token,
    json: { client_id: web.client_id, redirect_uris: ['https://client.example.org/other'], scope: 'openid' },
  });
  assert.equal(updated.status, 200, updated.text);
  assert.equal((await authorize('https://client.example.org/other')).status, 303);
  assert.equal((await authorize('https://client.example.org/cb')).status, 400);
}

describe('node-oidc-provider over the embedded store', () => {
  let registrar: ScriptServer;
  let adapter: Adapter;
  let provider: Awaited<ReturnType<typeof startProvider>>;

  before(async () => {
    registrar = await startAdminServer({ properties: { authorizationServer: { type: 'oidc-provider' } } });
    adapter = registrarAdapter({ dataDir: registrar.dataDir });
    provider = await startProvider(adapter);
  });
  after(async () => {
    await provider?.close();
    await adapter?.close();
    await registrar?.close();
  });

  test('clients registered at Registrar get tokens at the provider, and every change follows', async () => {
    await followsRegistrar(registrar, `${provider.issuer}/token`, provider.issuer);
  });

  test('the provider cannot write clients: they are Registrar\'s', async () => {
    const adapterInstance = new adapter('Client');
    await assert.rejects(adapterInstance.upsert('x', {}), /registered at Registrar/);
  });
});

describe('node-oidc-provider over MongoDB', { skip: !wireServerAvailable() && WIRE_SERVER_UNAVAILABLE }, () => {
  let wire: WireServer;
  let registrar: ScriptServer;
  let adapter: Adapter;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  const key = Buffer.alloc(32, 7).toString('base64');

  before(async () => {
    wire = await startWireServer();
    const { MongoStore } = await import('../../core/store/index.ts');
    const { default: pino } = await import('pino');
    const store = await MongoStore.connect({ uri: wire.uri, database: wire.database, logger: pino({ level: 'silent' }) });
    registrar = await startAdminServer({ store, properties: { authorizationServer: { type: 'oidc-provider' } }, env: { DCR_ENCRYPTION_KEY: key } });
    adapter = registrarAdapter({ mongodbUri: wire.uri, database: wire.database, encryptionKey: key });
    provider = await startProvider(adapter);
  });
  after(async () => {
    await provider?.close();
    await adapter?.close();
    await registrar?.close();
    await wire?.close();
  });

  test('clients registered at Registrar get tokens at the provider, and every change follows', async () => {
    await followsRegistrar(registrar, `${provider.issuer}/token`, provider.issuer);
  });
});

describe('node-oidc-provider with client ID metadata documents resolved by Registrar', () => {
  let host: HttpHost;
  let registrar: ScriptServer;
  let adapter: Adapter;
  let provider: Awaited<ReturnType<typeof startProvider>>;

  before(async () => {
    const ca = await certificateAuthority('CN=Provider Test CA');
    const certificate = await issue(ca, { subject: 'CN=127.0.0.1', ips: ['127.0.0.1'], usage: 'server' });
    setDefaultCACertificates([...getCACertificates('default'), ca.cert]);
    host = await startHttpHost({ cert: certificate.cert, key: certificate.key });
    registrar = await startAdminServer({ properties: { authorizationServer: { type: 'oidc-provider' }, clientIdMetadataDocumentsEnabled: true, outboundAllowPrivateAddresses: true } });
    adapter = registrarAdapter({ dataDir: registrar.dataDir, metadataDocuments: { url: registrar.url, clientId: ADMIN_ID, clientSecret: ADMIN_SECRET } });
    provider = await startProvider(adapter);
  });
  after(async () => {
    await provider?.close();
    await adapter?.close();
    await registrar?.close();
    await host?.close();
  });

  test('an authorization request naming a metadata document URL is accepted with its redirect URI; a bad document is refused', async () => {
    const clientId = `${host.url}/mcp/client.json`;
    host.routes.set('/mcp/client.json', json({ client_id: clientId, client_name: 'MCP client', redirect_uris: ['http://localhost:3000/callback'], grant_types: ['authorization_code'], response_types: ['code'] }));
    const authorize = (id: string, redirectUri: string) =>
      fetch(`${provider.issuer}/auth?${new URLSearchParams({ client_id: id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    const accepted = await authorize(clientId, 'http://localhost:3000/callback');
    assert.equal(accepted.status, 303, await accepted.text());
    assert.match(accepted.headers.get('location') ?? '', /^\/interaction\//);
    assert.equal((await authorize(clientId, 'http://localhost:3000/elsewhere')).status, 400);
    host.routes.set('/mcp/liar.json', json({ client_id: `${host.url}/mcp/other.json`, client_name: 'liar', redirect_uris: ['http://localhost:3000/callback'] }));
    assert.equal((await authorize(`${host.url}/mcp/liar.json`, 'http://localhost:3000/callback')).status, 400);
  });
});
