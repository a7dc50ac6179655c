// A policy saved but never in force enforces nothing, so it must not let anything through either:
// an enabled script with no working version (it never compiled, or cannot be read) makes the
// decisions it would run refuse (503, naming it) and readiness not ready, until it compiles or is
// disabled; `onError: skip` passes it over instead, and a shadow script enforces nothing anyway.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT } from '../helpers/server.ts';

const DENY = `export function createClient(context) { if (context.request.client_name === 'bad') return false; return true; }`;
const BROKEN = `export function createClient(context) { if (context.request.client_name === 'bad' return false; }`;

describe('a script with no version in force', () => {
  let server: ScriptServer;
  before(async () => {
    server = await startScriptServer();
  });
  after(() => server.close());

  const ready = () => server.request('GET', '/health/ready');

  it('that never compiled refuses the decisions it would make, names itself, and keeps readiness down until it compiles', async () => {
    await server.put('deny', BROKEN);
    assert.equal(scriptStatus(server, 'deny').state, 'failed');
    const refused = await server.register({ ...WEB_CLIENT, client_name: 'good' });
    assertError(refused, 503, 'temporarily_unavailable');
    assert.match(refused.json.error_description, /policy is not in force: script "deny" has no working version/);
    assert.ok(refused.headers.get('retry-after'));
    const notReady = await ready();
    assert.equal(notReady.status, 503);
    assert.deepEqual(notReady.json.scriptsNotInForce, ['deny']);
    assert.deepEqual(scriptStatus(server, 'deny').notInForce, { hooks: 'all', failOpen: false });

    await server.put('deny', DENY);
    assert.equal((await server.register({ ...WEB_CLIENT, client_name: 'good' })).status, 201);
    assertError(await server.register({ ...WEB_CLIENT, client_name: 'bad' }), 400, 'invalid_client_metadata');
    assert.equal((await ready()).status, 200);
    await server.drop('deny');
  });

  it('refuses only the hooks its settings declare, when they declare them', async () => {
    const created = await server.register(WEB_CLIENT);
    await server.put('deny', BROKEN, { hooks: ['createClient'] });
    assertError(await server.register(WEB_CLIENT), 503, 'temporarily_unavailable');
    const read = await server.request('GET', `/register/${created.json.client_id}`, { token: created.json.registration_access_token });
    assert.equal(read.status, 200, 'reading a client runs no createClient');
    assert.equal((await server.request('DELETE', `/register/${created.json.client_id}`, { token: read.json.registration_access_token })).status, 204);
    await server.drop('deny');
  });

  it('with onError: skip is passed over, and says so', async () => {
    await server.put('lenient', BROKEN, { onError: 'skip' });
    assert.equal((await server.register(WEB_CLIENT)).status, 201);
    assert.equal((await ready()).status, 200);
    assert.deepEqual(scriptStatus(server, 'lenient').notInForce, { hooks: 'all', failOpen: true });
    await server.drop('lenient');
  });

  it('in shadow mode enforces nothing, so refuses nothing', async () => {
    await server.put('deny.next', BROKEN);
    assert.equal(scriptStatus(server, 'deny.next').state, 'failed');
    assert.equal((await server.register(WEB_CLIENT)).status, 201);
    assert.equal((await ready()).status, 200);
    await server.drop('deny.next');
  });

  it('that cannot be read fails closed too; disabling it, or removing it, ends that', async () => {
    mkdirSync(join(server.scriptsDir, 'odd.js'));
    await server.registrar.scripts.reload('odd');
    assert.match(scriptStatus(server, 'odd').lastError.message, /cannot be read/);
    assertError(await server.register(WEB_CLIENT), 503, 'temporarily_unavailable');
    rmSync(join(server.scriptsDir, 'odd.js'), { recursive: true });
    await server.registrar.scripts.reload('odd');
    assert.equal((await server.register(WEB_CLIENT)).status, 201);
    await server.put('off', BROKEN, { enabled: false });
    assert.equal((await server.register(WEB_CLIENT)).status, 201, 'a disabled script is not in force on purpose');
    await server.drop('off');
  });
});
