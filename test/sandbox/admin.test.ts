import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startScriptServer } from '../helpers/scripts.ts';
import { assertError, startServer, WEB_CLIENT } from '../helpers/server.ts';

describe('GET /admin/scripts', () => {
  it('is off without DCR_ADMIN_TOKEN', async () => {
    const server = await startServer();
    try {
      assertError(await server.request('GET', '/admin/scripts', { token: 'anything' }), 404, 'not_found');
    } finally {
      await server.close();
    }
  });

  it('needs the bearer token and lists each script with hash, hooks, settings, errors and counters', async () => {
    const server = await startScriptServer(
      {
        good: [`export function modifyScopes(s) { return s; }\nexport function createClient() {}`, { priority: 7, properties: { a: 1 } }],
        bad: `export function createClient( {`,
      },
      { env: { DCR_ADMIN_TOKEN: 'admin-secret' } },
    );
    try {
      assertError(await server.request('GET', '/admin/scripts'), 401, 'invalid_token');
      assertError(await server.request('GET', '/admin/scripts', { token: 'wrong' }), 401, 'invalid_token');
      await server.register(WEB_CLIENT);
      const response = await server.request('GET', '/admin/scripts', { token: 'admin-secret' });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const [bad, good] = response.json.scripts;
      assert.equal(good.name, 'good');
      assert.equal(good.state, 'active');
      assert.match(good.hash, /^[0-9a-f]{64}$/);
      assert.deepEqual(good.hooks.sort(), ['createClient', 'modifyScopes']);
      assert.equal(good.settings.priority, 7);
      assert.deepEqual(good.settings.properties, { a: 1 });
      assert.ok(Date.parse(good.loadedAt));
      assert.equal(good.stats.createClient.calls, 1);
      assert.equal(good.stats.createClient.errors, 0);
      assert.equal(typeof good.stats.createClient.meanMs, 'number');
      assert.equal(bad.name, 'bad');
      assert.equal(bad.state, 'failed');
      assert.equal(bad.lastError.code, 'compile_error');
      assert.equal(bad.lastError.line, 1);
    } finally {
      await server.close();
    }
  });
});
