// Client ID metadata documents served by a real HTTPS host on loopback (a certificate from a CA
// this test process trusts): fetched, checked, run through policy, stored, refreshed per HTTP
// caching, and refused with the reason when they do not make a client.
import assert from 'node:assert/strict';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { certificateAuthority, issue } from '../helpers/certificates.ts';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { assertError } from '../helpers/server.ts';

const PROPERTIES = { clientIdMetadataDocumentsEnabled: true, outboundAllowPrivateAddresses: true };

describe('client ID metadata documents', () => {
  let host: HttpHost;
  let server: ScriptServer;
  let admin: string;
  let now = Date.parse('2026-11-30T12:00:00Z');
  const document = (path: string, extra: Record<string, unknown> = {}) => ({
    client_id: `${host.url}${path}`,
    client_name: 'MCP client',
    redirect_uris: ['http://localhost:3000/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    ...extra,
  });
  // A fresh administration token each time: the tests move the clock by hours.
  const resolve = async (clientId: string) => server.request('GET', `/cimd?client_id=${encodeURIComponent(clientId)}`, { token: await adminToken(server.url) });

  before(async () => {
    const ca = await certificateAuthority('CN=Metadata Test CA');
    const certificate = await issue(ca, { subject: 'CN=127.0.0.1', ips: ['127.0.0.1'], usage: 'server' });
    setDefaultCACertificates([...getCACertificates('default'), ca.cert]);
    host = await startHttpHost({ cert: certificate.cert, key: certificate.key });
    server = await startAdminServer({ properties: PROPERTIES, clock: () => now });
    admin = await adminToken(server.url);
  });
  after(async () => {
    await server?.close();
    await host?.close();
  });

  test('discovery says so; a valid document becomes a public client whose client_id is the URL', async () => {
    assert.equal((await server.request('GET', '/.well-known/oauth-authorization-server')).json.client_id_metadata_document_supported, true);
    host.routes.set('/clients/valid.json', json(document('/clients/valid.json')));
    const resolved = await resolve(`${host.url}/clients/valid.json`);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.json.client_id, `${host.url}/clients/valid.json`);
    assert.equal(resolved.json.token_endpoint_auth_method, 'none');
    assert.equal(resolved.json.client_secret, undefined);
    const stored = await server.request('GET', `/admin/clients/${encodeURIComponent(`${host.url}/clients/valid.json`)}`, { token: admin });
    assert.equal(stored.status, 200);
    assert.equal(stored.json.displayName, 'MCP client');
  });

  test('refusals say why: mismatched client_id, missing members, shared secrets, oversized, redirecting, not JSON', async () => {
    const cases: Array<[string, (path: string) => Parameters<HttpHost['routes']['set']>[1], RegExp]> = [
      ['/m/mismatch.json', () => json(document('/m/other.json')), /not exactly the URL/],
      ['/m/nameless.json', (path) => json({ ...document(path), client_name: undefined }), /client_name/],
      ['/m/secret.json', (path) => json(document(path, { token_endpoint_auth_method: 'client_secret_basic' })), /shared secret/],
      ['/m/carries-secret.json', (path) => json(document(path, { client_secret: 'x' })), /client secret/],
      ['/m/huge.json', (path) => json(document(path, { client_uri: `https://example.com/${'a'.repeat(6000)}` })), /exceeds 5120 bytes/],
      ['/m/redirect.json', () => (_request, response) => response.writeHead(302, { location: '/clients/valid.json' }).end(), /redirects/],
      ['/m/not-json.json', () => (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{nope'), /not valid JSON/],
      ['/m/private-key.json', (path) => json(document(path, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } })), /symmetric/],
    ];
    for (const [path, handler, reason] of cases) {
      host.routes.set(path, handler(path));
      const refused = await resolve(`${host.url}${path}`);
      assert.equal(refused.status, 400, `${path}: ${refused.text}`);
      assert.ok(['invalid_client', 'invalid_client_metadata'].includes(refused.json.error), refused.text);
      assert.match(refused.json.error_description, reason, path);
      assert.equal((await server.request('GET', `/admin/clients/${encodeURIComponent(`${host.url}${path}`)}`, { token: admin })).status, 404, `${path} was stored`);
    }
  });

  test('URL rules: a fragment, a query, no path, not https are refused before any fetch', async () => {
    for (const bad of [`${host.url}/a.json#x`, `${host.url}/a.json?v=1`, `${host.url}/`, `${host.url.replace('https', 'http')}/a.json`, `${host.url}/a/../b.json`]) {
      assertError(await resolve(bad), 400, 'invalid_request');
    }
  });

  test('a slow host times out; a private address is refused unless allowed', async () => {
    host.routes.set('/slow.json', () => {});
    server.registrar.config.replace({ ...PROPERTIES, clientIdMetadataDocumentTimeoutMs: 300 });
    assert.match((await resolve(`${host.url}/slow.json`)).json.error_description, /did not arrive in time/);
    server.registrar.config.replace({ clientIdMetadataDocumentsEnabled: true });
    host.routes.set('/private.json', json(document('/private.json')));
    assert.match((await resolve(`${host.url}/private.json`)).json.error_description, /public address/);
    server.registrar.config.replace(PROPERTIES);
  });

  test('cached per max-age within bounds; a changed document is taken on refresh; a failed refresh keeps the last good one until its hard expiry', async () => {
    const url = `${host.url}/cached.json`;
    host.routes.set('/cached.json', json(document('/cached.json', { client_name: 'first' }), { 'cache-control': 'max-age=60' }));
    assert.equal((await resolve(url)).json.client_name, 'first');
    host.routes.set('/cached.json', json(document('/cached.json', { client_name: 'second' })));
    now += 1800 * 1000; // max-age 60 is clamped up to the hour
    assert.equal((await resolve(url)).json.client_name, 'first');
    assert.equal(host.hits.get('/cached.json'), 1);
    now += 1801 * 1000;
    assert.equal((await resolve(url)).json.client_name, 'second');
    host.routes.set('/cached.json', (_request, response) => response.writeHead(500).end());
    now += 3601 * 1000;
    assert.equal((await resolve(url)).json.client_name, 'second', 'the last good version serves');
    now += 8 * 86_400_000;
    assert.match((await resolve(url)).json.error_description, /HTTP 500/);
  });

  test('the same hooks as a registration, told it is a metadata document', async () => {
    await server.put(
      'cimd-policy',
      `export function createClient(context) {
        if (!context.metadataDocument) return true;
        if (!context.metadataDocument.url.endsWith('/trusted.json')) throw new RegistrationError('invalid_client_metadata', 'only trusted documents');
        context.client.client_name = context.client.client_name + ' (metadata document)';
        return true;
      }`,
    );
    try {
      host.routes.set('/trusted.json', json(document('/trusted.json')));
      host.routes.set('/untrusted.json', json(document('/untrusted.json')));
      assert.equal((await resolve(`${host.url}/trusted.json`)).json.client_name, 'MCP client (metadata document)');
      assertError(await resolve(`${host.url}/untrusted.json`), 400, 'invalid_client_metadata', /only trusted/);
      await server.registrar.flushDecisions();
      const [record] = await server.registrar.store.decisions.list({ clientId: `${host.url}/untrusted.json`, limit: 5 });
      assert.equal(record?.operation, 'metadata_document');
      assert.equal(record?.outcome, 'invalid_client_metadata');
      assert.equal(record?.scripts[0]?.script, 'cimd-policy');
    } finally {
      await server.drop('cimd-policy');
    }
  });

  test('routing rules: server-assigned metadata intersected with the document; a URL matching no rule is refused', async () => {
    server.registrar.config.replace({
      ...PROPERTIES,
      clientIdMetadataDocumentRules: [{ match: `${host.url}/partners/**`, metadata: { grant_types: ['authorization_code'], scope: 'openid profile', default_max_age: 600 } }],
    });
    try {
      host.routes.set('/partners/a.json', json(document('/partners/a.json', { grant_types: ['authorization_code', 'refresh_token'], scope: 'openid email profile' })));
      const routed = (await resolve(`${host.url}/partners/a.json`)).json;
      assert.deepEqual(routed.grant_types, ['authorization_code']);
      assert.equal(routed.scope, 'openid profile');
      assert.equal(routed.default_max_age, 600);
      host.routes.set('/others/b.json', json(document('/others/b.json')));
      assertError(await resolve(`${host.url}/others/b.json`), 400, 'invalid_client', /no metadata document rule/);
    } finally {
      server.registrar.config.replace(PROPERTIES);
    }
  });

  test('off by default; needs the clients.write scope', async () => {
    const plain = await startAdminServer();
    try {
      const token = await adminToken(plain.url);
      assertError(await plain.request('GET', `/cimd?client_id=${encodeURIComponent(`${host.url}/clients/valid.json`)}`, { token }), 400, 'invalid_request', /not enabled/);
      assert.equal((await plain.request('GET', '/.well-known/oauth-authorization-server')).json.client_id_metadata_document_supported, undefined);
      const readOnly = await adminToken(plain.url, 'https://jans.io/oauth/config/openid/clients.readonly');
      assert.equal((await plain.request('GET', `/cimd?client_id=x`, { token: readOnly })).status, 403);
    } finally {
      await plain.close();
    }
  });
});
