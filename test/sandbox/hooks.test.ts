// Every decision point through a real server with real scripts.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { after, before, describe, it } from 'node:test';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT } from '../helpers/server.ts';

const pathOf = (client: any) => new URL(client.registration_client_uri).pathname;

describe('decision points', () => {
  let server: ScriptServer;
  before(async () => {
    server = await startScriptServer();
  });
  after(() => server.close());

  async function only(name: string, code: string, settings?: Record<string, unknown>) {
    await server.put(name, code, settings);
    return async () => server.drop(name);
  }

  it('createClient: false refuses with invalid_client_metadata, and nothing is stored', async () => {
    const done = await only('refuse', `export function createClient(context) { return !context.client.client_name?.startsWith('Evil'); }`);
    try {
      const refused = await server.register({ ...WEB_CLIENT, client_name: 'Evil Corp', redirect_uris: ['https://evil.example/cb'] });
      assertError(refused, 400, 'invalid_client_metadata', /refuse/);
      assert.equal(await server.registrar.store.clients.count({ redirectHost: 'evil.example' }, Date.now()), 0);
      assert.equal((await server.register({ ...WEB_CLIENT, client_name: 'Good' })).status, 201);
    } finally {
      await done();
    }
  });

  it('createClient: an object is merged into the client and validated like the request', async () => {
    const done = await only('patch', `export function createClient(context) {
      if (context.request.client_name === 'bad-patch') return { redirect_uris: ['http://not-https.example/cb'] };
      return { client_name: context.client.client_name + ' (reviewed)', logo_uri: 'https://cdn.example/logo.png' };
    }`);
    try {
      const created = await server.register({ ...WEB_CLIENT, client_name: 'App' });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.client_name, 'App (reviewed)');
      assert.equal(created.json.logo_uri, 'https://cdn.example/logo.png');
      assertError(await server.register({ ...WEB_CLIENT, client_name: 'bad-patch' }), 400, 'invalid_redirect_uri');
    } finally {
      await done();
    }
  });

  it('createClient: Janssen style, modifying context.client in place and returning true', async () => {
    const done = await only('inplace', `export function createClient(context) { context.client.software_version = '9'; delete context.client.logo_uri; return true; }`);
    try {
      const created = await server.register({ ...WEB_CLIENT, logo_uri: 'https://a.example/l.png' });
      assert.equal(created.json.software_version, '9');
      assert.equal(created.json.logo_uri, undefined);
    } finally {
      await done();
    }
  });

  it('a script rejects with the RFC code it chose; an unknown code fails closed', async () => {
    const done = await only('codes', `export function createClient(context) {
      const code = context.request.client_name;
      if (code === 'weird') throw new RegistrationError('made_up_code', 'x');
      if (code) throw new RegistrationError(code, 'because ' + code);
    }`);
    try {
      for (const code of ['invalid_redirect_uri', 'invalid_client_metadata', 'invalid_software_statement', 'unapproved_software_statement']) {
        assertError(await server.register({ ...WEB_CLIENT, client_name: code }), 400, code, new RegExp(`because ${code}`));
      }
      assertError(await server.register({ ...WEB_CLIENT, client_name: 'access_denied' }), 403, 'access_denied');
      const weird = await server.register({ ...WEB_CLIENT, client_name: 'weird' });
      assertError(weird, 500, 'server_error');
      assert.match(weird.json.error_description, new RegExp(weird.headers.get('x-request-id')!));
      assert.equal(scriptStatus(server, 'codes').lastError.code, 'bad_output');
    } finally {
      await done();
    }
  });

  it('a throwing script fails closed with the request id; the status shows script, hook, line and message', async () => {
    const done = await only('thrower', `export function createClient(context) {\n  const x = null;\n  return x.boom;\n}`);
    try {
      const response = await server.register(WEB_CLIENT);
      assertError(response, 500, 'server_error');
      assert.match(response.json.error_description, new RegExp(response.headers.get('x-request-id')!));
      assert.doesNotMatch(response.text, /boom|thrower|at /);
      const { lastError } = scriptStatus(server, 'thrower');
      assert.equal(lastError.script, 'thrower');
      assert.equal(lastError.hook, 'createClient');
      assert.equal(lastError.line, 3);
      assert.match(lastError.message, /boom/);
      assert.equal(lastError.requestId, response.headers.get('x-request-id'));
    } finally {
      await done();
    }
  });

  it('onError: skip passes over a failing script', async () => {
    const done = await only('skipper', `export function createClient() { throw new Error('flaky'); }`, { onError: 'skip' });
    try {
      assert.equal((await server.register(WEB_CLIENT)).status, 201);
      assert.equal(scriptStatus(server, 'skipper').stats.createClient.errors, 1);
    } finally {
      await done();
    }
  });

  it('modifyScopes and manageClaims decide the final lists; bad output fails closed', async () => {
    const done = await only('lists', `
      export function modifyScopes(scopes, context) {
        if (context.request.client_name === 'bad') return ['has space'];
        return [...scopes.filter((s) => s !== 'email'), 'payments'];
      }
      export function manageClaims(claims) { return [...claims, 'acme_claim']; }`);
    try {
      const created = await server.register({ ...WEB_CLIENT, scope: 'openid email', claims: ['email'] });
      assert.equal(created.json.scope, 'openid payments');
      assert.deepEqual(created.json.claims, ['email', 'acme_claim']);
      assertError(await server.register({ ...WEB_CLIENT, client_name: 'bad' }), 500, 'server_error');
    } finally {
      await done();
    }
  });

  it('priority orders the pipeline and each script sees the previous output', async () => {
    await server.put('second', `export function modifyScopes(scopes) { return [...scopes, 'second-saw:' + scopes.join('+')]; }`, { priority: 2 });
    await server.put('first', `export function modifyScopes(scopes) { return [...scopes, 'first']; }`, { priority: 1 });
    try {
      assert.equal((await server.register(WEB_CLIENT)).json.scope, 'openid first second-saw:openid+first');
      await server.put('first', `export function modifyScopes(scopes) { return [...scopes, 'first']; }`, { priority: 3 });
      assert.equal((await server.register(WEB_CLIENT)).json.scope, 'openid second-saw:openid first');
    } finally {
      await server.drop('first');
      await server.drop('second');
    }
  });

  it('response hooks: an object replaces, true sends the in-place edit, false keeps the response', async () => {
    const done = await only('responses', `
      export function modifyPostResponse(response) { response.post_hook = true; return true; }
      export function modifyReadResponse(response) { return { ...response, read_hook: 'yes' }; }
      export function modifyPutResponse(response) { response.dropped = true; return false; }`);
    try {
      const created = await server.register(WEB_CLIENT);
      assert.equal(created.json.post_hook, true);
      const read = await server.request('GET', pathOf(created.json), { token: created.json.registration_access_token });
      assert.equal(read.json.read_hook, 'yes');
      assert.equal(read.json.post_hook, undefined, 'response members are not stored');
      const put = await server.request('PUT', pathOf(created.json), { token: created.json.registration_access_token, json: WEB_CLIENT });
      assert.equal(put.status, 200);
      assert.equal(put.json.dropped, undefined);
    } finally {
      await done();
    }
  });

  it('updateClient and deleteClient decide updates and deletions', async () => {
    const done = await only('guard', `
      export function updateClient(context) {
        if (context.client.client_name !== context.stored.client_name) throw new RegistrationError('invalid_client_metadata', 'client_name is frozen');
      }
      export function deleteClient(context) { return context.stored.client_name !== 'Permanent'; }`);
    try {
      const created = (await server.register({ ...WEB_CLIENT, client_name: 'Permanent' })).json;
      const token = created.registration_access_token;
      assertError(await server.request('PUT', pathOf(created), { token, json: { ...WEB_CLIENT, client_name: 'Other' } }), 400, 'invalid_client_metadata', /frozen/);
      assert.equal((await server.request('PUT', pathOf(created), { token, json: { ...WEB_CLIENT, client_name: 'Permanent', logo_uri: 'https://a.example/l' } })).status, 200);
      assertError(await server.request('DELETE', pathOf(created), { token }), 403, 'access_denied');
      assert.equal((await server.request('GET', pathOf(created), { token })).status, 200, 'still there');
    } finally {
      await done();
    }
  });

  it('init receives the properties; a failing init keeps the script out, and its decisions refuse until it is in', async () => {
    await server.put('initok', `let seen; export function init(p) { seen = p.greeting; } export function modifyPostResponse(r) { return { ...r, greeting: seen }; }`, {
      properties: { greeting: 'hello' },
    });
    await server.put('initfail', `export function init() { throw new Error('no database'); } export function createClient() { return false; }`);
    try {
      const status = scriptStatus(server, 'initfail');
      assert.equal(status.state, 'failed');
      assert.equal(status.lastError.code, 'init_error');
      assertError(await server.register(WEB_CLIENT), 503, 'temporarily_unavailable');
      await server.drop('initfail');
      const created = await server.register(WEB_CLIENT);
      assert.equal(created.status, 201);
      assert.equal(created.json.greeting, 'hello');
    } finally {
      await server.drop('initok');
      await server.drop('initfail');
    }
  });

  it('destroy runs when a version is replaced and when the server stops, and its console lines reach the log', async () => {
    const lines: Array<{ msg?: string; script?: string }> = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const logged = await startScriptServer({}, { logger: pino({ level: 'info' }, sink) });
    const script = (tag: string) => `export function destroy(p) { console.log('destroying ${tag} ' + p.name); } export function createClient() { return true; }`;
    try {
      await logged.put('tidy', script('v1'), { properties: { name: 'tidy' } });
      await logged.put('tidy', script('v2'), { properties: { name: 'tidy' } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(lines.some((line) => line.msg === 'destroying v1 tidy' && line.script === 'tidy'), 'on reload');
    } finally {
      await logged.close();
    }
    assert.ok(lines.some((line) => line.msg === 'destroying v2 tidy'), 'on shutdown');
  });

  it('TypeScript scripts have their types stripped', async () => {
    await server.put('typed', `interface P { suffix: string }\nexport function modifyScopes(scopes: string[], context: { properties: P }): string[] {\n  return [...scopes, context.properties.suffix];\n}`, { properties: { suffix: 'typed' } }, 'ts');
    try {
      assert.equal((await server.register(WEB_CLIENT)).json.scope, 'openid typed');
    } finally {
      await server.drop('typed');
    }
  });
});
