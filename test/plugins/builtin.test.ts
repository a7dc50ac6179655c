// The built-in plugins as scripts see them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Writable } from 'node:stream';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT } from '../helpers/server.ts';

describe('plugins', () => {
  let server: ScriptServer;
  let remote: HttpHost;
  const lines: any[] = [];
  before(async () => {
    remote = await startHttpHost();
    remote.routes.set('/policy', json({ maxClients: 2 }));
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    server = await startScriptServer({}, {
      logger: pino({ level: 'debug' }, sink),
      properties: { outboundAllowHttp: true, outboundAllowPrivateAddresses: true },
    });
  });
  after(async () => {
    await server.close();
    await remote.close();
  });

  it('log: structured lines tagged with the script and request id; console too', async () => {
    await server.put('logger', `export async function createClient(context) {
      await host.log.info('deciding', { client_name: context.client.client_name });
      console.warn('from console', 42);
    }`, { plugins: { log: {} } });
    const response = await server.register({ ...WEB_CLIENT, client_name: 'Logged' });
    const requestId = response.headers.get('x-request-id');
    const line = lines.find((l) => l.msg === 'deciding');
    assert.equal(line.script, 'logger');
    assert.equal(line.reqId, requestId);
    assert.equal(line.client_name, 'Logged');
    assert.equal(line.level, 30);
    assert.ok(lines.find((l) => l.msg === 'from console 42' && l.script === 'logger' && l.level === 40));
    await server.drop('logger');
  });

  it('http: GETs JSON from allow-listed hosts only', async () => {
    const allowed = new URL(remote.url).host;
    await server.put('fetcher', `export async function createClient(context) {
      const target = context.request.client_uri ?? '${remote.url}/policy';
      const policy = await host.http.getJson(target);
      return { software_version: String(policy.maxClients) };
    }`, { plugins: { http: { allowedHosts: [allowed] } } });
    const ok = await server.register(WEB_CLIENT);
    assert.equal(ok.json.software_version, '2');
    assertError(await server.register({ ...WEB_CLIENT, client_uri: 'https://elsewhere.example/x' }), 500, 'server_error');
    assert.match(scriptStatus(server, 'fetcher').lastError.message, /not in this script's allowedHosts/);
    await server.put('fetcher', `export function createClient() {}`, { plugins: { http: {} } });
    assert.match(scriptStatus(server, 'fetcher').lastError.message, /allowedHosts/);
    await server.drop('fetcher');
  });

  it('cache: per-script values with a time to live', async () => {
    const code = `export async function modifyPostResponse(response, context) {
      const seen = (await host.cache.get('count')) ?? 0;
      await host.cache.set('count', seen + 1, 60);
      response.seen = seen;
      return true;
    }`;
    await server.put('counter', code, { plugins: { cache: {} } });
    await server.put('other', code.replace('response.seen', 'response.other_seen'), { plugins: { cache: {} } });
    const first = await server.register(WEB_CLIENT);
    const second = await server.register(WEB_CLIENT);
    assert.equal(first.json.seen, 0);
    assert.equal(second.json.seen, 1);
    assert.equal(second.json.other_seen, 1, 'each script has its own cache');
    await server.put('counter', code + '\n// v2', { plugins: { cache: {} } });
    assert.equal((await server.register(WEB_CLIENT)).json.seen, 2, 'kept across a reload');
    await server.drop('counter');
    await server.drop('other');
  });

  it('clients: counts and finds by software_id, organisation and redirect host, without credentials', async () => {
    await server.put('census', `export async function modifyPostResponse(response, context) {
      response.same_software = await host.clients.count({ software_id: context.client.software_id });
      response.same_host = (await host.clients.find({ redirect_host: 'census.example' }, 10)).map((c) => c.client_id);
      const found = await host.clients.find({ software_id: context.client.software_id });
      response.leaked = found.some((c) => ['client_secret', 'secret', 'registration_access_token', 'registrationAccessTokenHash'].some((k) => k in c));
      return true;
    }`, { plugins: { clients: {} } });
    const a = await server.register({ redirect_uris: ['https://census.example/cb'], software_id: 'census-sw' });
    const b = await server.register({ redirect_uris: ['https://census.example/cb2'], software_id: 'census-sw' });
    assert.equal(a.json.same_software, 0, 'the client being registered is not stored yet');
    assert.equal(b.json.same_software, 1);
    assert.deepEqual(b.json.same_host, [a.json.client_id]);
    assert.equal(b.json.leaked, false);
    await server.drop('census');
  });

  it('jwks: key sets through the server\'s shared cache', async () => {
    remote.routes.set('/keys', json({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k' }] }));
    await server.put('keys', `export async function modifyPostResponse(response) {
      const first = await host.jwks.get('${remote.url}/keys');
      await host.jwks.get('${remote.url}/keys');
      response.kids = first.keys.map((k) => k.kid);
      return true;
    }`, { plugins: { jwks: {} } });
    const response = await server.register(WEB_CLIENT);
    assert.deepEqual(response.json.kids, ['k']);
    assert.equal(remote.hits.get('/keys'), 1, 'the second get came from the cache');
    await server.drop('keys');
  });

  it('arguments are checked against each function\'s declared parameters before the plugin runs', async () => {
    await server.put('careless', `export async function modifyPostResponse(response) {
      const attempts = [() => host.cache.get(42), () => host.cache.get('k', 'extra'), () => host.cache.get('x'.repeat(2000)),
        () => host.clients.count({}), () => host.clients.count({ software_id: 1 }), () => host.clients.count({ tenant: 'a' }), () => host.jwks.get(),
        () => host.clients.find({ software_id: 'x' }, -1), () => host.clients.find({ software_id: 'x' }, 2.5)];
      response.refusals = [];
      for (const attempt of attempts) {
        try { await attempt(); response.refusals.push('accepted'); } catch (error) { response.refusals.push(error.message); }
      }
      response.optional = await host.clients.find({ software_id: 'nobody' }, undefined);
      return true;
    }`, { plugins: { cache: {}, clients: {}, jwks: {} } });
    const response = await server.register(WEB_CLIENT);
    assert.equal(response.status, 201, response.text);
    const [wrongType, extra, tooLong, empty, badMember, unknownMember, missing, negative, fractional] = response.json.refusals as string[];
    assert.match(negative!, /limit must be >= 1/, 'a negative limit is not "every client"');
    assert.match(fractional!, /limit must be integer/, 'a fractional limit is not an outage');
    assert.match(wrongType!, /^host\.cache\.get: key must be string/);
    assert.match(extra!, /takes at most 1 arguments/);
    assert.match(tooLong!, /key must NOT have more than 1024 characters/);
    assert.match(empty!, /^host\.clients\.count: filter must NOT have fewer than 1 properties/);
    assert.match(badMember!, /filter\.software_id must be string/);
    assert.match(unknownMember!, /unknown member "tenant"/);
    assert.match(missing!, /^host\.jwks\.get: url is required/);
    assert.deepEqual(response.json.optional, []);
    await server.drop('careless');
  });

  it('a plugin grant with a bad configuration or an unknown plugin keeps the script out', async () => {
    await server.put('misconfigured', `export function createClient() {}`, { plugins: { cache: { maxEntries: -1 } } });
    assert.equal(scriptStatus(server, 'misconfigured').state, 'failed');
    await server.put('unknown', `export function createClient() {}`, { plugins: { teleport: {} } });
    assert.match(scriptStatus(server, 'unknown').lastError.message, /unknown plugin "teleport"/);
    await server.drop('misconfigured');
    await server.drop('unknown');
  });
});
