// RFC 7592 read, update and delete through a real listening server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startScriptServer } from '../helpers/scripts.ts';
import { assertError, startServer, WEB_CLIENT, type TestResponse, type TestServer } from '../helpers/server.ts';

const pathOf = (client: any) => new URL(client.registration_client_uri).pathname;

function assertInvalidToken(response: TestResponse, presented: boolean): void {
  assertError(response, 401, 'invalid_token');
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /);
  if (presented) assert.match(challenge, /error="invalid_token"/);
  else assert.doesNotMatch(challenge, /error=/);
  assert.doesNotMatch(response.text, /redirect_uris|client_name/);
}

describe('RFC 7592 management', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function registered(extra: Record<string, unknown> = {}) {
    const response = await server.register({ ...WEB_CLIENT, client_name: 'Managed', ...extra });
    assert.equal(response.status, 201, response.text);
    return response.json;
  }

  it('reads the current registration at registration_client_uri and at Janssen ?client_id=', async () => {
    const client = await registered();
    for (const path of [pathOf(client), `/register?client_id=${client.client_id}`, `/jans-auth/restv1/register?client_id=${client.client_id}`, `/jans-auth/restv1/register/${client.client_id}`]) {
      const read = await server.request('GET', path, { token: client.registration_access_token });
      assert.equal(read.status, 200, `${path}: ${read.text}`);
      assert.equal(read.headers.get('cache-control'), 'no-store');
      assert.equal(read.json.client_id, client.client_id);
      assert.equal(read.json.client_name, 'Managed');
      assert.equal(read.json.client_id_issued_at, client.client_id_issued_at);
      assert.equal(read.json.registration_client_uri, client.registration_client_uri);
      assert.equal(read.json.client_secret, undefined, 'returnClientSecretOnRead is off by default');
      assert.equal(read.json.registration_access_token, client.registration_access_token, 'RFC 7592 §3: the token presented');
    }
  });

  it('answers a missing token with 401 and a bare Bearer challenge', async () => {
    const client = await registered();
    assertInvalidToken(await server.request('GET', pathOf(client)), false);
    assertInvalidToken(await server.request('GET', pathOf(client), { headers: { authorization: 'Basic abc' } }), false);
  });

  it('answers a wrong token, another client\'s token, or an unknown client with the same 401', async () => {
    const a = await registered();
    const b = await registered();
    assertInvalidToken(await server.request('GET', pathOf(a), { token: 'wrong' }), true);
    assertInvalidToken(await server.request('GET', pathOf(a), { token: b.registration_access_token }), true);
    assertInvalidToken(await server.request('PUT', pathOf(a), { token: b.registration_access_token, json: { ...WEB_CLIENT } }), true);
    assertInvalidToken(await server.request('DELETE', pathOf(a), { token: b.registration_access_token }), true);
    const unknown = await server.request('GET', '/register/00000000-0000-4000-8000-000000000000', { token: a.registration_access_token });
    assertInvalidToken(unknown, true);
    const still = await server.request('GET', pathOf(a), { token: a.registration_access_token });
    assert.equal(still.status, 200);
  });

  it('needs a client_id on the management forms', async () => {
    const client = await registered();
    assertError(await server.request('GET', '/register', { token: client.registration_access_token }), 400, 'invalid_request');
  });

  it('replaces the metadata on PUT, keeping the client_id, secret and token', async () => {
    const client = await registered({ logo_uri: 'https://client.example.org/logo.png' });
    const updated = await server.request('PUT', pathOf(client), {
      token: client.registration_access_token,
      json: {
        client_id: client.client_id,
        client_secret: client.client_secret,
        redirect_uris: ['https://client.example.org/new'],
        client_name: 'Renamed',
      },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.headers.get('cache-control'), 'no-store');
    assert.equal(updated.json.client_id, client.client_id);
    assert.equal(updated.json.client_name, 'Renamed');
    assert.deepEqual(updated.json.redirect_uris, ['https://client.example.org/new']);
    assert.equal(updated.json.logo_uri, undefined, 'omitted members are removed');
    assert.equal(updated.json.client_id_issued_at, client.client_id_issued_at);
    assert.equal(updated.json.registration_access_token, client.registration_access_token, 'RFC 7592 §3: the token presented');
    assert.equal(updated.json.registration_client_uri, client.registration_client_uri);
    const read = await server.request('GET', pathOf(client), { token: client.registration_access_token });
    assert.equal(read.json.client_name, 'Renamed');
    assert.equal(read.json.logo_uri, undefined);
  });

  it('refuses server-issued members, a different client_id or a wrong client_secret on PUT', async () => {
    const client = await registered();
    const base = { ...WEB_CLIENT, client_id: client.client_id };
    for (const member of ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at']) {
      const response = await server.request('PUT', pathOf(client), { token: client.registration_access_token, json: { ...base, [member]: client[member] ?? 0 } });
      assertError(response, 400, 'invalid_request', new RegExp(member));
    }
    assertError(
      await server.request('PUT', pathOf(client), { token: client.registration_access_token, json: { ...base, client_id: 'other' } }),
      400,
      'invalid_request',
      /client_id/,
    );
    assertError(
      await server.request('PUT', pathOf(client), { token: client.registration_access_token, json: { ...base, client_secret: 'guess' } }),
      400,
      'invalid_request',
      /client_secret/,
    );
    const read = await server.request('GET', pathOf(client), { token: client.registration_access_token });
    assert.equal(read.json.client_name, 'Managed', 'nothing changed');
  });

  it('validates PUT metadata like POST, leaving the client unchanged on error', async () => {
    const client = await registered();
    assertError(
      await server.request('PUT', pathOf(client), { token: client.registration_access_token, json: { redirect_uris: ['http://evil.example/cb'] } }),
      400,
      'invalid_redirect_uri',
    );
    assertError(await server.request('PUT', pathOf(client), { token: client.registration_access_token, body: 'nope', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request');
    const read = await server.request('GET', pathOf(client), { token: client.registration_access_token });
    assert.deepEqual(read.json.redirect_uris, WEB_CLIENT.redirect_uris);
  });

  it('issues a secret when an update moves to a secret-based method, and retires it when moving away', async () => {
    const client = await registered({ token_endpoint_auth_method: 'none' });
    assert.equal(client.client_secret, undefined);
    const toSecret = await server.request('PUT', pathOf(client), {
      token: client.registration_access_token,
      json: { ...WEB_CLIENT, token_endpoint_auth_method: 'client_secret_post' },
    });
    assert.equal(toSecret.status, 200, toSecret.text);
    assert.ok(toSecret.json.client_secret);
    assert.equal(toSecret.json.client_secret_expires_at, 0);
    const toNone = await server.request('PUT', pathOf(client), {
      token: client.registration_access_token,
      json: { ...WEB_CLIENT, token_endpoint_auth_method: 'none' },
    });
    assert.equal(toNone.json.client_secret, undefined);
    assert.equal(toNone.json.client_secret_expires_at, undefined);
  });

  it('deletes with 204; the client and its token are gone', async () => {
    const client = await registered();
    const deleted = await server.request('DELETE', pathOf(client), { token: client.registration_access_token });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assertInvalidToken(await server.request('GET', pathOf(client), { token: client.registration_access_token }), true);
    assertInvalidToken(await server.request('DELETE', pathOf(client), { token: client.registration_access_token }), true);
  });

  it('deletes through Janssen\'s ?client_id= form', async () => {
    const client = await registered();
    const deleted = await server.request('DELETE', `/jans-auth/restv1/register?client_id=${client.client_id}`, { token: client.registration_access_token });
    assert.equal(deleted.status, 204);
  });

  it('lets one of two concurrent PUTs win and tells the other, never losing an update silently', async () => {
    const client = await registered();
    const names = Array.from({ length: 8 }, (_, i) => `writer-${i}`);
    const results = await Promise.all(
      names.map((client_name) => server.request('PUT', pathOf(client), { token: client.registration_access_token, json: { ...WEB_CLIENT, client_name } })),
    );
    const statuses = results.map((r) => r.status);
    assert.ok(statuses.every((s) => s === 200 || s === 409), String(statuses));
    const read = await server.request('GET', pathOf(client), { token: client.registration_access_token });
    const winners = results.filter((r) => r.status === 200).map((r) => r.json.client_name);
    assert.ok(winners.includes(read.json.client_name), 'the stored name is one a 200 reported');
    for (const loser of results.filter((r) => r.status === 409)) assertError(loser, 409, 'invalid_request', /retry/);
  });
});

describe('RFC 7592 options', () => {
  it('returnClientSecretOnRead returns the secret on GET', async () => {
    const server = await startServer({ properties: { returnClientSecretOnRead: true } });
    try {
      const client = (await server.register(WEB_CLIENT)).json;
      const read = await server.request('GET', pathOf(client), { token: client.registration_access_token });
      assert.equal(read.json.client_secret, client.client_secret);
    } finally {
      await server.close();
    }
  });

  it('rotateClientRegistrationAccessTokenOnUsage issues a new token on read and update and retires the old', async () => {
    const server = await startServer({ properties: { rotateClientRegistrationAccessTokenOnUsage: true } });
    try {
      const client = (await server.register(WEB_CLIENT)).json;
      // HEAD answers no body, so it delivers no new token: it rotates nothing, and the token still works.
      assert.equal((await server.request('HEAD', pathOf(client), { token: client.registration_access_token })).status, 200);
      const read = await server.request('GET', pathOf(client), { token: client.registration_access_token });
      assert.equal(read.status, 200);
      const second = read.json.registration_access_token;
      assert.ok(second && second !== client.registration_access_token);
      assertError(await server.request('GET', pathOf(client), { token: client.registration_access_token }), 401, 'invalid_token');
      const updated = await server.request('PUT', pathOf(client), { token: second, json: { ...WEB_CLIENT, client_name: 'r' } });
      assert.equal(updated.status, 200, updated.text);
      const third = updated.json.registration_access_token;
      assert.ok(third && third !== second);
      assertError(await server.request('GET', pathOf(client), { token: second }), 401, 'invalid_token');
      assert.equal((await server.request('DELETE', pathOf(client), { token: third })).status, 204);
    } finally {
      await server.close();
    }
  });

  it('a rotation takes effect only with the answer that delivers it: a read whose response hook fails keeps the old token', async () => {
    const server = await startScriptServer(
      { fragile: `export function modifyReadResponse(response, context) { if (context.client.client_name === 'break') throw new Error('broken'); return true; }` },
      { properties: { rotateClientRegistrationAccessTokenOnUsage: true } },
    );
    try {
      const client = (await server.register({ ...WEB_CLIENT, client_name: 'break' })).json;
      assertError(await server.request('GET', pathOf(client), { token: client.registration_access_token }), 500, 'server_error');
      const renamed = await server.request('PUT', pathOf(client), { token: client.registration_access_token, json: { ...WEB_CLIENT, client_name: 'fine' } });
      assert.equal(renamed.status, 200, 'the old token still works: the client is not locked out');
    } finally {
      await server.close();
    }
  });

  it('response hooks never see credentials: placeholders go in, the real values come out', async () => {
    const server = await startScriptServer({
      nosy: `export function modifyPostResponse(response) {
        return { ...response, seen_secret: response.client_secret, seen_token: response.registration_access_token, client_secret: 'replaced by the script' };
      }
      export function modifyReadResponse(response) { response.seen_token = response.registration_access_token; return true; }`,
    });
    try {
      const created = await server.register({ ...WEB_CLIENT, token_endpoint_auth_method: 'client_secret_basic' });
      assert.equal(created.json.seen_secret, '(withheld from scripts)');
      assert.equal(created.json.seen_token, '(withheld from scripts)');
      assert.match(created.json.client_secret, /^[\w-]{43}$/, 'the real secret reaches the client');
      const read = await server.request('GET', pathOf(created.json), { token: created.json.registration_access_token });
      assert.equal(read.status, 200, 'the real token works');
      assert.equal(read.json.seen_token, '(withheld from scripts)');
      assert.equal(read.json.registration_access_token, created.json.registration_access_token);
    } finally {
      await server.close();
    }
  });
});
