// An authorization server that accepts connections and never answers: each call is cut at
// authorizationServerTimeoutMs, the registration answers 503 and nothing is stored; the outage
// is logged once, and readiness reports it.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { assertError } from '../helpers/server.ts';

describe('an authorization server that stops answering', () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const lines: Array<Record<string, unknown>> = [];
  let server: ScriptServer;
  let url: string;

  before(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    server = await startAdminServer({
      logger: pino({ level: 'info' }, sink),
      properties: { authorizationServer: { type: 'hydra', adminUrl: url, issuer: url }, authorizationServerTimeoutMs: 300, authorizationServerSyncIntervalSeconds: 0 },
    });
  });
  after(async () => {
    await server?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test('a registration costs at most the timeout, answers 503 with Retry-After, and stores nothing', async () => {
    const admin = await adminToken(server.url);
    const started = performance.now();
    const refused = await server.register({ grant_types: ['client_credentials'], response_types: [] });
    const took = performance.now() - started;
    assertError(refused, 503, 'temporarily_unavailable');
    assert.ok(took < 3000, `took ${took} ms`);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.doesNotMatch(refused.text, /127\.0\.0\.1/);
    assert.equal((await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount, 0);
    await server.register({ grant_types: ['client_credentials'], response_types: [] });
    assert.equal(lines.filter((line) => line.msg === 'the authorization server is unreachable').length, 1);
    const ready = await server.request('GET', '/health/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.json.authorizationServer, /timeout/);
  });

  test('disconnecting it at run time (a configuration patch) lets registrations through again', async () => {
    server.registrar.config.replace({ ...server.registrar.config.current, authorizationServer: null });
    const registered = await server.register({ grant_types: ['client_credentials'], response_types: [] });
    assert.equal(registered.status, 201, registered.text);
    assert.equal((await server.request('GET', '/health/ready')).json.authorizationServer, 'none');
  });
});
