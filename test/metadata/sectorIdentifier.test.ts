import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { assertError, freePort, startServer, type TestServer } from '../helpers/server.ts';

const a = 'https://a.example.org/cb';
const b = 'https://b.example.org/cb';

describe('pairwise clients and sector_identifier_uri', () => {
  let host: HttpHost;
  let server: TestServer;
  before(async () => {
    host = await startHttpHost();
    host.routes.set('/sector', json([a, b]));
    host.routes.set('/partial', json([a]));
    host.routes.set('/object', json({ redirect_uris: [a, b] }));
    host.routes.set('/moved', (_q, r) => r.writeHead(301, { location: '/sector' }).end());
    server = await startServer({ properties: { outboundAllowHttp: true, outboundAllowPrivateAddresses: true } });
  });
  after(async () => {
    await server.close();
    await host.close();
  });

  it('accepts a pairwise client whose sector document lists every redirect URI', async () => {
    const response = await server.register({ redirect_uris: [a, b], subject_type: 'pairwise', sector_identifier_uri: `${host.url}/sector` });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.json.sector_identifier_uri, `${host.url}/sector`);
  });

  it('refuses when the document misses a redirect URI, is not an array, redirects or is absent', async () => {
    const pairwise = { redirect_uris: [a, b], subject_type: 'pairwise' };
    assertError(await server.register({ ...pairwise, sector_identifier_uri: `${host.url}/partial` }), 400, 'invalid_client_metadata', /b\.example\.org/);
    assertError(await server.register({ ...pairwise, sector_identifier_uri: `${host.url}/object` }), 400, 'invalid_client_metadata', /JSON array/);
    assertError(await server.register({ ...pairwise, sector_identifier_uri: `${host.url}/moved` }), 400, 'invalid_client_metadata', /redirect/);
    assertError(await server.register({ ...pairwise, sector_identifier_uri: `${host.url}/missing` }), 400, 'invalid_client_metadata', /HTTP 404/);
  });

  it('checks the document for public clients that send one too', async () => {
    assertError(await server.register({ redirect_uris: [b], sector_identifier_uri: `${host.url}/partial` }), 400, 'invalid_client_metadata');
  });

  it('tells the client what kind of failure it was, never what the resolver or the network said', async () => {
    const closedPort = await freePort();
    const response = await server.register({ redirect_uris: [b], sector_identifier_uri: `http://127.0.0.1:${closedPort}/sector` });
    assertError(response, 400, 'invalid_client_metadata', /could not be fetched: it could not be reached$/);
    assert.doesNotMatch(response.json.error_description, /ECONNREFUSED|127\.0\.0\.1:|getaddrinfo/);
  });

  it('keeps the default outbound policy: https only, public addresses only', async () => {
    const strict = await startServer();
    const loose = await startServer({ properties: { outboundAllowHttp: true } });
    try {
      const request = { redirect_uris: [a, b], subject_type: 'pairwise', sector_identifier_uri: `${host.url}/sector` };
      assertError(await strict.register(request), 400, 'invalid_client_metadata', /https/);
      assertError(await loose.register(request), 400, 'invalid_client_metadata', /public address/);
      assert.equal(host.hits.get('/sector'), 1, 'neither server fetched the document');
    } finally {
      await strict.close();
      await loose.close();
    }
  });
});
