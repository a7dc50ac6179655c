import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { assertError, startServer, WEB_CLIENT, type TestServer } from '../helpers/server.ts';

describe('POST /register', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ properties: { dynamicRegistrationCustomAttributes: ['org_ref', 'tags'] } });
  });
  after(() => server.close());

  it('registers a client with defaults, credentials and no-store headers', async () => {
    const response = await server.register(WEB_CLIENT);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    assert.ok(response.headers.get('x-request-id'));
    const client = response.json;
    assert.match(client.client_id, /^[0-9a-f-]{36}$/);
    assert.ok(client.client_secret.length >= 43, 'secret carries 256 bits');
    assert.ok(client.registration_access_token.length >= 43);
    assert.equal(client.registration_client_uri, `${server.url}/register/${client.client_id}`);
    assert.equal(client.client_secret_expires_at, 0);
    assert.ok(Math.abs(client.client_id_issued_at - Date.now() / 1000) < 5);
    assert.deepEqual(client.redirect_uris, WEB_CLIENT.redirect_uris);
    assert.deepEqual(client.grant_types, ['authorization_code']);
    assert.deepEqual(client.response_types, ['code']);
    assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(client.application_type, 'web');
    assert.equal(client.subject_type, 'public');
    assert.equal(client.id_token_signed_response_alg, 'RS256');
    assert.equal(client.scope, 'openid');
  });

  it('issues distinct identifiers and secrets', async () => {
    const [a, b] = await Promise.all([server.register(WEB_CLIENT), server.register(WEB_CLIENT)]);
    assert.notEqual(a.json.client_id, b.json.client_id);
    assert.notEqual(a.json.client_secret, b.json.client_secret);
    assert.notEqual(a.json.registration_access_token, b.json.registration_access_token);
  });

  it('issues no secret to clients that authenticate without one', async () => {
    for (const method of ['none', 'tls_client_auth']) {
      const response = await server.register({ ...WEB_CLIENT, token_endpoint_auth_method: method, tls_client_auth_subject_dn: 'CN=app' });
      assert.equal(response.status, 201, response.text);
      assert.equal(response.json.client_secret, undefined);
      assert.equal(response.json.client_secret_expires_at, undefined);
    }
  });

  it('ignores unknown members and server-issued members, keeps configured custom attributes', async () => {
    const response = await server.register({
      ...WEB_CLIENT,
      client_id: 'chosen-by-client',
      client_secret: 'chosen-secret',
      registration_access_token: 'x',
      client_id_issued_at: 1,
      favourite_colour: 'blue',
      trusted_client: true,
      org_ref: 'acme',
      tags: ['a', 'b'],
    });
    assert.equal(response.status, 201);
    assert.notEqual(response.json.client_id, 'chosen-by-client');
    assert.notEqual(response.json.client_secret, 'chosen-secret');
    assert.notEqual(response.json.client_id_issued_at, 1);
    assert.equal(response.json.favourite_colour, undefined);
    assert.equal(response.json.trusted_client, false);
    assert.equal(response.json.org_ref, 'acme');
    assert.deepEqual(response.json.tags, ['a', 'b']);
  });

  it('refuses a custom attribute of the wrong type', async () => {
    assertError(await server.register({ ...WEB_CLIENT, org_ref: { nested: true } }), 400, 'invalid_client_metadata', /org_ref/);
  });

  it('stores and returns language-tagged members', async () => {
    const tagged = {
      ...WEB_CLIENT,
      client_name: 'My Example',
      'client_name#fr': 'Mon Exemple',
      'client_name#ja-Jpan-JP': 'クライアント名',
      'logo_uri#fr': 'https://client.example.org/logo-fr.png',
      'client_uri#de': 'https://client.example.org/de',
      'policy_uri#fr': 'https://client.example.org/fr/policy',
      'tos_uri#fr': 'https://client.example.org/fr/tos',
    };
    const created = await server.register(tagged);
    assert.equal(created.status, 201, created.text);
    const read = await server.request('GET', new URL(created.json.registration_client_uri).pathname, {
      token: created.json.registration_access_token,
    });
    for (const [member, value] of Object.entries(tagged)) {
      assert.deepEqual(created.json[member], value, member);
      assert.deepEqual(read.json[member], value, member);
    }
  });

  it('validates language-tagged members like their base member and drops tags on other members', async () => {
    assertError(await server.register({ ...WEB_CLIENT, 'logo_uri#fr': 'javascript:alert(1)' }), 400, 'invalid_client_metadata');
    assertError(await server.register({ ...WEB_CLIENT, 'client_name#fr': 42 }), 400, 'invalid_client_metadata');
    const response = await server.register({ ...WEB_CLIENT, 'scope#fr': 'openid', 'client_name#not a tag': 'x' });
    assert.equal(response.status, 201);
    assert.equal(response.json['scope#fr'], undefined);
    assert.equal(response.json['client_name#not a tag'], undefined);
  });

  it('runs the seed document\'s simple example as written', async () => {
    // curl -X POST -k -H 'Content-Type: application/json' -i '.../jans-auth/restv1/register' --data '{"redirect_uris": [...]}'
    const response = await server.request('POST', '/jans-auth/restv1/register', {
      headers: { 'content-type': 'application/json' },
      body: '{"redirect_uris": ["https://my.jans.client/page"]}',
    });
    assert.equal(response.status, 201, response.text);
    assert.deepEqual(response.json.redirect_uris, ['https://my.jans.client/page']);
  });

  it('runs the seed document\'s typical example as written (comma restored): curl form type, line continuations', async () => {
    // Byte for byte what curl sends for the seed's single-quoted --data with "\" line ends and no Content-Type.
    const body = `{ \\
                      "redirect_uris": ["https://client.example.org/cb"], \\
\t              "client_id": "c3BhdRkqfX", \\
\t              "client_secret": "bd136123eeffeef234235805d", \\
\t              "grant_types": ["authorization_code", "refresh_token"], \\
\t              "token_endpoint_auth_method": "client_secret_basic", \\
\t              "jwks_uri": "https://client.example.org/my_public_keys.jwks", \\
\t              "client_name": "My Example", \\
\t              "client_name#fr": "Mon Exemple" \\
\t        }`;
    const response = await server.request('POST', '/jans-auth/restv1/register', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    assert.equal(response.status, 201, response.text);
    const client = response.json;
    assert.notEqual(client.client_id, 'c3BhdRkqfX');
    assert.notEqual(client.client_secret, 'bd136123eeffeef234235805d');
    assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(client.jwks_uri, 'https://client.example.org/my_public_keys.jwks');
    assert.equal(client['client_name#fr'], 'Mon Exemple');
  });

  it('refuses the typical example without the comma as invalid JSON', async () => {
    const response = await server.request('POST', '/register', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{ "redirect_uris": ["https://client.example.org/cb"] "client_name": "x" }',
    });
    assertError(response, 400, 'invalid_request', /not valid JSON/);
  });

  it('reads shell line continuations with trailing spaces, and says where JSON is broken', async () => {
    const continued = '{"redirect_uris": ["https://client.example.org/cb"], \\   \n  "client_name": "Spaces"}';
    const response = await server.request('POST', '/register', { body: continued, headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.json.client_name, 'Spaces');
    const broken = await server.request('POST', '/register', { body: '{\n  "redirect_uris": ["https://client.example.org/cb"]\n  "client_name": "x"\n}', headers: { 'content-type': 'application/json' } });
    assertError(broken, 400, 'invalid_request', /not valid JSON: .* at line 3 column 3/);
  });

  it('answers bad bodies with invalid_request, never 500', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['malformed', { 'content-type': 'application/json' }, '{"redirect_uris": ['],
      ['null', { 'content-type': 'application/json' }, 'null'],
      ['array', { 'content-type': 'application/json' }, '[]'],
      ['string', { 'content-type': 'application/json' }, '"hello"'],
      ['empty', { 'content-type': 'application/json' }, ''],
      ['wrong type', { 'content-type': 'text/plain' }, '{"redirect_uris": []}'],
      ['xml', { 'content-type': 'application/xml' }, '<client/>'],
      ['form fields', { 'content-type': 'application/x-www-form-urlencoded' }, 'redirect_uris=https://a.example/cb'],
      ['backslash garbage', { 'content-type': 'application/json' }, '{"a": "\\q"}'],
    ];
    for (const [name, headers, body] of cases) {
      assertError(await server.request('POST', '/register', { headers, body }), 400, 'invalid_request');
      void name;
    }
  });

  it('answers a body over the cap with 413 whether declared or streamed', async () => {
    const big = JSON.stringify({ ...WEB_CLIENT, client_name: 'x'.repeat(70_000) });
    assertError(await server.request('POST', '/register', { json: JSON.parse(big) }), 413, 'invalid_request');
    // Chunked, without Content-Length.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i += 1) controller.enqueue(new TextEncoder().encode(' '.repeat(5000)));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_request');
  });

  it('answers unknown paths with 404 and wrong methods with 405, in JSON', async () => {
    assertError(await server.request('GET', '/nope'), 404, 'not_found');
    const response = await server.request('PATCH', '/register');
    assertError(response, 405, 'invalid_request');
    assert.match(response.headers.get('allow') ?? '', /POST/);
  });

  it('keeps a sane X-Request-Id for correlation, made unique per request, and replaces an unsafe one', async () => {
    const kept = await server.request('POST', '/register', { json: WEB_CLIENT, headers: { 'x-request-id': 'abc-123' } });
    const again = await server.request('POST', '/register', { json: WEB_CLIENT, headers: { 'x-request-id': 'abc-123' } });
    assert.match(kept.headers.get('x-request-id') ?? '', /^abc-123\/[0-9a-f]{8}$/);
    assert.notEqual(kept.headers.get('x-request-id'), again.headers.get('x-request-id'), 'a caller cannot make two requests share an id');
    const replaced = await server.request('POST', '/register', { json: WEB_CLIENT, headers: { 'x-request-id': 'bad id <script>' } });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('slow clients', () => {
  it('a request body that trickles in is cut at DCR_REQUEST_TIMEOUT_SECONDS with 408, not held for minutes', async () => {
    const slow = await startServer({ env: { DCR_REQUEST_TIMEOUT_SECONDS: '1' } });
    try {
      const { port } = new URL(slow.url);
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write('POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"redirect_uris":');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      const started = performance.now();
      await once(socket, 'close');
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(performance.now() - started < 10_000, `closed after ${Math.round(performance.now() - started)} ms`);
    } finally {
      await slow.close();
    }
  });
});

