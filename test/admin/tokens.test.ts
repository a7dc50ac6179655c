import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hkdfSync } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { loadEncryptionKey } from '../../core/secrets/index.ts';
import { SCOPES } from '../../core/admin/index.ts';
import { MAX_FAILED_AUTHENTICATIONS_IN_ALL, MAX_FAILED_AUTHENTICATIONS_PER_CLIENT } from '../../core/admin/tokens.ts';
import { ADMIN_ID, ADMIN_SECRET, adminToken, startAdminServer, tokenRequest } from '../helpers/admin.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { assertError, httpRequest } from '../helpers/server.ts';

describe('administration token endpoint', () => {
  let server: ScriptServer;
  before(async () => {
    server = await startAdminServer();
  });
  after(() => server.close());

  it('issues a short-lived JWT with the requested scopes for HTTP Basic or form credentials', async () => {
    const basic = await tokenRequest(server.url, { grant_type: 'client_credentials', scope: SCOPES.configWrite });
    assert.equal(basic.status, 200, basic.text);
    assert.equal(basic.headers.get('cache-control'), 'no-store');
    assert.equal(basic.json.token_type, 'Bearer');
    assert.equal(basic.json.expires_in, 300);
    assert.equal(basic.json.scope, SCOPES.configWrite);
    const claims = decodeJwt(basic.json.access_token);
    assert.equal(claims.sub, ADMIN_ID);
    assert.ok(claims.exp! - claims.iat! === 300);
    const form = await tokenRequest(server.url, { grant_type: 'client_credentials', client_id: ADMIN_ID, client_secret: ADMIN_SECRET }, null);
    assert.equal(form.status, 200, form.text);
    assert.equal(form.json.scope.split(' ').length, Object.keys(SCOPES).length, 'no scope asked: every scope granted to the client');
  });

  it('refuses bad credentials, other grants, unknown scopes and other content types', async () => {
    const wrong = await tokenRequest(server.url, { grant_type: 'client_credentials' }, [ADMIN_ID, 'wrong-secret-value']);
    assertError(wrong, 401, 'invalid_client');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
    assertError(await tokenRequest(server.url, { grant_type: 'client_credentials' }, ['nobody', ADMIN_SECRET]), 401, 'invalid_client');
    assertError(await tokenRequest(server.url, { grant_type: 'client_credentials' }, null), 401, 'invalid_client');
    assertError(await tokenRequest(server.url, { grant_type: 'password' }), 400, 'unsupported_grant_type');
    assertError(await tokenRequest(server.url, { grant_type: 'client_credentials', scope: 'https://jans.io/oauth/everything' }), 400, 'invalid_scope');
    assertError(await server.request('POST', '/jans-auth/restv1/token', { json: { grant_type: 'client_credentials' } }), 400, 'invalid_request');
  });

  it('protects the administration API: 401 without or with a bad token, 403 insufficient_scope', async () => {
    assertError(await server.request('GET', '/admin/config'), 401, 'invalid_token');
    assertError(await server.request('GET', '/admin/config', { token: 'garbage' }), 401, 'invalid_token');
    const readOnly = await adminToken(server.url, SCOPES.configRead);
    assert.equal((await server.request('GET', '/admin/config', { token: readOnly })).status, 200);
    const denied = await server.request('PATCH', '/admin/config', { token: readOnly, json: [], headers: { 'content-type': 'application/json-patch+json' } });
    assertError(denied, 403, 'insufficient_scope');
    assert.match(denied.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    const clientsToken = await adminToken(server.url, SCOPES.clientsRead);
    assertError(await server.request('GET', '/admin/scripts', { token: clientsToken }), 403, 'insufficient_scope');
  });

  it('limits failed client authentications per address (429 with Retry-After), then lets the right secret through again later', async () => {
    let now = Date.now();
    const limited = await startAdminServer({ clock: () => now });
    try {
      for (let i = 0; i < 10; i += 1) {
        assertError(await tokenRequest(limited.url, { grant_type: 'client_credentials' }, [ADMIN_ID, `guess-${i}`]), 401, 'invalid_client');
      }
      const blocked = await tokenRequest(limited.url, { grant_type: 'client_credentials' });
      assertError(blocked, 429, 'invalid_request', /too many failed/);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      now += 60_000;
      assert.equal((await tokenRequest(limited.url, { grant_type: 'client_credentials' })).status, 200);
    } finally {
      await limited.close();
    }
  });

  it('counts an attempt before checking it: 200 concurrent guesses from one address get at most 10 answers of 401, the rest 429', async () => {
    const guessed = await startAdminServer();
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => tokenRequest(guessed.url, { grant_type: 'client_credentials' }, [ADMIN_ID, `guess-${i}`])));
      const statuses = answers.map((answer) => answer.status);
      assert.ok(statuses.filter((status) => status === 401).length <= 10, String(statuses));
      assert.equal(statuses.filter((status) => status === 429).length + statuses.filter((status) => status === 401).length, 200);
      for (const answer of answers.filter((a) => a.status === 429)) assert.ok(Number(answer.headers.get('retry-after')) > 0);
    } finally {
      await guessed.close();
    }
  });

  it('many addresses add up: the budget per client_id and the budget of the endpoint as a whole hold against guesses spread over addresses', async () => {
    let now = Date.now();
    // Loopback is a trusted proxy here, so X-Forwarded-For makes every guess come from another address.
    const spread = await startAdminServer({ clock: () => now, properties: { trustedProxies: ['127.0.0.1'] } });
    const from = (i: number) => ({ 'x-forwarded-for': `198.51.${(i >> 8) & 255}.${i & 255}` });
    const guess = (i: number, clientId: string) =>
      httpRequest(`${spread.url}/token`, 'POST', {
        body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:guess-${i}`).toString('base64')}`, ...from(i) },
      });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await guess(i, ADMIN_ID)).status);
      assert.deepEqual(statuses.filter((status) => status === 401).length, MAX_FAILED_AUTHENTICATIONS_PER_CLIENT, String(statuses));
      assertError(await guess(100, ADMIN_ID), 429, 'invalid_request', /for this client/);
      // Other client_ids, each from its own address: the endpoint's whole budget runs out.
      let limited;
      for (let i = 0; i < MAX_FAILED_AUTHENTICATIONS_IN_ALL && !limited; i++) {
        const answer = await guess(1000 + i, `nobody-${i}`);
        if (answer.status === 429) limited = answer;
      }
      assert.ok(limited, 'the endpoint never refused');
      assertError(limited, 429, 'invalid_request', /at this endpoint/);
      now += 60_000;
      assert.equal((await tokenRequest(spread.url, { grant_type: 'client_credentials' })).status, 200);
    } finally {
      await spread.close();
    }
  });

  it('refuses tokens without exp or iat, even when correctly signed', async () => {
    const key = new Uint8Array(hkdfSync('sha256', loadEncryptionKey(undefined, server.dataDir, () => {}), Buffer.alloc(0), 'registrar admin access tokens', 32));
    const now = Math.floor(Date.now() / 1000);
    const forge = (claims: { iat?: number; exp?: number }) => {
      const jwt = new SignJWT({ scope: SCOPES.configRead }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer(server.url).setAudience('registrar-admin').setSubject(ADMIN_ID);
      if (claims.iat) jwt.setIssuedAt(claims.iat);
      if (claims.exp) jwt.setExpirationTime(claims.exp);
      return jwt.sign(key);
    };
    assert.equal((await server.request('GET', '/admin/config', { token: await forge({ iat: now, exp: now + 60 }) })).status, 200, 'the forged shape is otherwise right');
    assertError(await server.request('GET', '/admin/config', { token: await forge({ iat: now }) }), 401, 'invalid_token');
    assertError(await server.request('GET', '/admin/config', { token: await forge({ exp: now + 60 }) }), 401, 'invalid_token');
  });

  it('refuses expired tokens', async () => {
    let now = Date.now();
    const timed = await startAdminServer({ clock: () => now });
    try {
      const token = await adminToken(timed.url, SCOPES.configRead);
      assert.equal((await timed.request('GET', '/admin/config', { token })).status, 200);
      now += 301_000;
      assertError(await timed.request('GET', '/admin/config', { token }), 401, 'invalid_token', /expired/);
    } finally {
      await timed.close();
    }
  });
});
