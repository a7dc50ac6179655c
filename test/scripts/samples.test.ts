// The shipped sample scripts, loaded from a copy of scripts/ as `npm start` loads them: off as shipped,
// on after the one documented step (`"enabled": true` in the script's settings).
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyShipped, enableSample, SAMPLES, scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT } from '../helpers/server.ts';

const SHIPPED = new URL('../../scripts/', import.meta.url).pathname;

async function samplesServer(properties: Record<string, unknown> = {}, tune?: (dir: string) => void): Promise<ScriptServer> {
  const server = await startScriptServer({}, { properties });
  copyShipped(server.scriptsDir, [...SAMPLES, 'janssen-sample', 'open-banking']);
  for (const name of SAMPLES) enableSample(server.scriptsDir, name);
  tune?.(server.scriptsDir);
  await server.registrar.scripts.loadAll();
  for (const name of SAMPLES) assert.equal(scriptStatus(server, name)?.state, 'active', `${name}: ${JSON.stringify(scriptStatus(server, name)?.lastError)}`);
  return server;
}

describe('the scripts folder as shipped', () => {
  it('changes nothing: every sample is off, and a registration is answered as plain RFC 7591', async () => {
    const server = await startScriptServer();
    try {
      copyShipped(server.scriptsDir);
      await server.registrar.scripts.loadAll();
      const states = server.registrar.scripts.status().map((script) => `${script.name}: ${script.state}`);
      for (const state of states) assert.match(state, /: disabled$/);
      const created = await server.register({ redirect_uris: ['https://partner.example.com/callback'], client_name: 'Plain', scope: 'openid' });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.registration_policy_uri, undefined, 'no sample member');
      assert.equal(created.json.scope, 'openid', 'no sample scope');
    } finally {
      await server.close();
    }
  });
});

describe('sample scripts', () => {
  let server: ScriptServer;
  before(async () => {
    server = await samplesServer();
  });
  after(() => server.close());

  it('leave an ordinary registration alone, apart from the response member', async () => {
    const response = await server.register({ ...WEB_CLIENT, scope: 'openid email' });
    assert.equal(response.status, 201);
    assert.equal(response.json.scope, 'openid email');
    assert.equal(response.json.trusted_client, false);
    assert.equal(response.json.registration_policy_uri, 'https://registrar.example.com/policy');
    // Their match conditions keep the other samples out of it without entering their sandboxes.
    await server.registrar.flushDecisions();
    const [record] = await server.registrar.store.decisions.list({ clientId: response.json.client_id, limit: 1 });
    assert.deepEqual(record!.scripts.map(({ script, hook, decision }) => `${script}.${hook}: ${decision}`), [
      'abuse-guard.createClient: not-matched',
      'trusted-client.createClient: not-matched',
      'add-scope.modifyScopes: not-matched',
      'trusted-client.modifyScopes: not-matched',
      'response-member.modifyPostResponse: object',
    ]);
  });

  it("janssen-sample, Janssen's own sample ported, ships disabled and adds the address scope once enabled", async () => {
    assert.equal(scriptStatus(server, 'janssen-sample')?.state, 'disabled');
    writeFileSync(join(server.scriptsDir, 'janssen-sample.json'), JSON.stringify({ properties: { client_redirect_uris: 'https://client.example.com/cb1, https://client.example.com/cb2' } }));
    await server.registrar.scripts.reload('janssen-sample');
    try {
      assert.equal(scriptStatus(server, 'janssen-sample')?.state, 'active');
      const listed = await server.register({ redirect_uris: ['https://client.example.com/cb2'], scope: 'openid' });
      assert.equal(listed.status, 201, listed.text);
      assert.equal(listed.json.scope, 'openid address');
      const other = await server.register({ ...WEB_CLIENT, scope: 'openid' });
      assert.equal(other.json.scope, 'openid');
    } finally {
      cpSync(join(SHIPPED, 'janssen-sample.json'), join(server.scriptsDir, 'janssen-sample.json'));
      await server.registrar.scripts.reload('janssen-sample');
    }
  });

  it('add-scope: a listed redirect URI gets the configured scope', async () => {
    const response = await server.register({ redirect_uris: ['https://partner.example.com/callback'], scope: 'openid' });
    assert.equal(response.json.scope, 'openid address');
  });

  it('trusted-client: listed redirect URIs get the extra scopes (trust needs trustedClientEnabled)', async () => {
    const response = await server.register({ redirect_uris: ['https://casa.example.com/jans-casa'] });
    assert.equal(response.json.scope, 'openid profile email');
    assert.equal(response.json.trusted_client, false, 'trustedClientEnabled is off');
    const trusting = await samplesServer({ trustedClientEnabled: true });
    try {
      const trusted = await trusting.register({ redirect_uris: ['https://casa.example.com/jans-casa'] });
      assert.equal(trusted.json.trusted_client, true);
      assert.equal((await trusting.register(WEB_CLIENT)).json.trusted_client, false);
    } finally {
      await trusting.close();
    }
  });

  it('response-member: the configured member is in the registration response but not stored', async () => {
    const created = (await server.register(WEB_CLIENT)).json;
    const read = await server.request('GET', new URL(created.registration_client_uri).pathname, { token: created.registration_access_token });
    assert.equal(created.registration_policy_uri, 'https://registrar.example.com/policy');
    assert.equal(read.json.registration_policy_uri, undefined);
  });

  it('abuse-guard: refuses the registration past the quota per software_id with a clear error', async () => {
    const guarded = await samplesServer({}, (dir) => {
      const file = join(dir, 'abuse-guard.json');
      const settings = JSON.parse(readFileSync(file, 'utf8'));
      settings.properties.maxClientsPerSoftwareId = 2;
      writeFileSync(file, JSON.stringify(settings));
    });
    try {
      const request = { ...WEB_CLIENT, software_id: 'quota-sw' };
      assert.equal((await guarded.register(request)).status, 201);
      assert.equal((await guarded.register(request)).status, 201);
      assertError(await guarded.register(request), 400, 'invalid_client_metadata', /quota-sw already has 2 registered clients \(limit 2\)/);
      assert.equal((await guarded.register({ ...WEB_CLIENT, software_id: 'other-sw' })).status, 201);
      assert.equal((await guarded.register(WEB_CLIENT)).status, 201, 'no software_id: untouched');
    } finally {
      await guarded.close();
    }
  });
});
