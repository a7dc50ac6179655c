// Containment: a script can hurt only the registrations it applies to, whatever it asks of its
// plugins or writes to the log. Each case is a hostile script against a real server.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { certificateAuthority } from '../helpers/certificates.ts';
import { startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { WEB_CLIENT } from '../helpers/server.ts';

/** The server stays responsive: /health/live answers while the hostile calls run (a frozen event loop would not). */
async function stillLive(server: ScriptServer): Promise<void> {
  const started = performance.now();
  const response = await fetch(`${server.url}/health/live`);
  assert.equal(response.status, 200);
  assert.ok(performance.now() - started < 1000, `/health/live took ${Math.round(performance.now() - started)} ms`);
}

describe('containment of plugin calls', () => {
  let server: ScriptServer;
  let remote: HttpHost;
  let logBytes = 0;
  const held: ServerResponse[] = [];
  before(async () => {
    remote = await startHttpHost();
    remote.routes.set('/never', (_request, response) => {
      held.push(response);
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logBytes += chunk.length;
        done();
      },
    });
    server = await startScriptServer({}, { logger: pino({ level: 'info' }, sink), properties: { outboundAllowHttp: true, outboundAllowPrivateAddresses: true } });
  });
  after(async () => {
    for (const response of held) response.destroy();
    await server.close();
    await remote.close();
  });

  it('directory: a megabyte of unterminated PEM markers is refused at the door; a bundle at the cap is split in linear time', async () => {
    const junk = (size: number) => '-----BEGIN CERTIFICATE-----'.repeat(Math.ceil(size / 27)).slice(0, size);
    const anchor = await certificateAuthority('Directory CA');
    await server.put(
      'pem-bomb',
      `export async function modifyPostResponse(response, context) {
        const size = Number(context.client.client_name);
        try { response.chain = await host.directory.validateChain('not a certificate', ${JSON.stringify(junk(1))}.repeat(size)); }
        catch (error) { response.chain = error.message; }
        return true;
      }`,
      { plugins: { directory: { trustAnchors: anchor.cert } } },
    );
    const huge = server.register({ ...WEB_CLIENT, client_name: String(1024 * 1024) });
    const capped = server.register({ ...WEB_CLIENT, client_name: String(256 * 1024) });
    await stillLive(server);
    // A megabyte never leaves the isolate: it is past what one hook call may send to plugins.
    assert.match((await huge).json.chain, /maxPluginBytesPerHook/);
    assert.deepEqual((await capped).json.chain, { valid: false, reason: 'not a certificate' });
    await server.drop('pem-bomb');
    // Identifiers that would climb out of the directory's status path are refused.
    await server.put(
      'climber',
      `export async function modifyPostResponse(response) {
        try { await host.directory.status('..', 'x'); } catch (error) { response.climb = error.message; }
        return true;
      }`,
      { plugins: { directory: { statusUrl: 'https://directory.example/{org_id}/{software_id}' } } },
    );
    assert.equal((await server.register(WEB_CLIENT)).json.climb, 'org_id must not be ".."');
    await server.drop('climber');
  });

  it('jwks: a flood of distinct key-set URLs stops at the hook call\'s budget inside the isolate; past the calls in flight and the per-minute quota the server refuses; the shared cache stays bounded', async () => {
    const before = server.registrar.services.keySets.size.entries;
    await server.put(
      'jwks-flood',
      `export async function modifyPostResponse(response, context) {
        const calls = [];
        for (let i = 0; i < 2000; i += 1) calls.push(host.jwks.get('${remote.url}/keys/' + context.requestId + '/' + i).then(() => 'ok', (error) => error.message));
        const answers = await Promise.all(calls);
        response.budgeted = answers.filter((answer) => /maxPluginCallsPerHook/.test(answer)).length;
        return true;
      }`,
      { timeoutMs: 2000, plugins: { jwks: {} } },
    );
    for (let i = 0; i < 3; i += 1) {
      const registered = await server.register(WEB_CLIENT);
      assert.equal(registered.status, 201, registered.text);
      assert.equal(registered.json.budgeted, 2000 - 50, 'every call past the 50th was refused without reaching the server');
    }
    await stillLive(server);
    const stats = scriptStatus(server, 'jwks-flood').plugins['jwks.get'];
    assert.equal(stats.calls, 150, 'only the budgeted calls reached the server');
    assert.ok(stats.refused >= 150 - 30, JSON.stringify(stats));
    assert.ok(server.registrar.services.keySets.size.entries - before <= 30, `${server.registrar.services.keySets.size.entries} key sets cached`);
    await server.drop('jwks-flood');
    assert.equal(scriptStatus(server, 'jwks-flood'), undefined);
  });

  it('outstanding plugin calls per script are bounded; a call past the hook\'s budget is dropped and its request aborted', async () => {
    await server.put(
      'waiter',
      `export async function modifyPostResponse(response) {
        const calls = Array.from({ length: 40 }, () => host.http.getJson('${remote.url}/never').catch((error) => error.message));
        response.answers = await Promise.all(calls);
        return true;
      }`,
      { timeoutMs: 300, maxPluginCallsInFlight: 8, plugins: { http: { allowedHosts: [new URL(remote.url).host] } } },
    );
    const response = await server.register(WEB_CLIENT);
    assert.equal(response.status, 500, 'the hook waited on a call that never answers: it fails by its own budget');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const stats = scriptStatus(server, 'waiter').plugins['http.getJson'];
    assert.equal(stats.calls, 40);
    assert.equal(stats.refused, 40, '32 over the in-flight bound, 8 past the budget');
    assert.ok(held.length <= 8, `${held.length} requests reached the remote`);
    assert.ok(held.every((pending) => pending.req.destroyed || pending.destroyed || pending.req.socket?.destroyed), 'the overdue requests were aborted');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /registrar_plugin_calls_total\{script="waiter",plugin="http",function="getJson",outcome="refused"\} 40/);
    await server.drop('waiter');
  });

  it('log: a 5 MB line is written clipped, and a flood past the per-script rate is counted, not written', async () => {
    logBytes = 0;
    await server.put(
      'chatty',
      `export async function modifyPostResponse(response, context) {
        if (context.client.client_name === 'big') await host.log.info('x'.repeat(5 * 1024 * 1024));
        else for (let i = 0; i < 500; i += 1) console.log('line', i);
        return true;
      }`,
      { timeoutMs: 5000, maxPluginBytesPerHook: 8 * 1024 * 1024, plugins: { log: {} } },
    );
    const big = await Promise.all(Array.from({ length: 8 }, () => server.register({ ...WEB_CLIENT, client_name: 'big' })));
    for (const response of big) assert.equal(response.status, 201);
    assert.ok(logBytes < 8 * 20 * 1024, `${logBytes} bytes logged for eight 5 MB lines`);
    await server.register({ ...WEB_CLIENT, client_name: 'flood' });
    const status = scriptStatus(server, 'chatty');
    assert.ok(status.logLinesDropped >= 500 - 200, `dropped ${status.logLinesDropped}`);
    assert.deepEqual(status.limited, [`log lines dropped: ${status.logLinesDropped}`], 'the status says the script is being held back');
    await server.drop('chatty');
  });

  it('cache: each script\'s share is bounded in bytes (least recently used out) and released when the script goes', async () => {
    const code = `export async function modifyPostResponse(response, context) {
      if (context.client.client_name === 'fill') for (let i = 0; i < 40; i += 1) await host.cache.set('k' + i, 'v'.repeat(60 * 1024));
      response.first = await host.cache.get('k0');
      response.last = typeof (await host.cache.get('k39'));
      return true;
    }`;
    await server.put('hoarder', code, { maxPluginBytesPerHook: 4 * 1024 * 1024, plugins: { cache: { maxBytes: 1024 * 1024 } } });
    const filled = await server.register({ ...WEB_CLIENT, client_name: 'fill' });
    assert.equal(filled.json.first, undefined, 'the oldest went first');
    assert.equal(filled.json.last, 'string');
    await server.drop('hoarder');
    await server.put('hoarder', code, { maxPluginBytesPerHook: 4 * 1024 * 1024, plugins: { cache: { maxBytes: 1024 * 1024 } } });
    assert.equal((await server.register(WEB_CLIENT)).json.last, 'undefined', 'a removed script leaves nothing behind');
    await server.drop('hoarder');
  });
});
