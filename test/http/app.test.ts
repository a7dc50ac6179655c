// core/http on a real socket: the one error serializer (RFC 6749 §5.2 bodies, never a stack), request
// ids, bodies read within bounds, no-store set by the routers that need it, and the listening
// socket's timeout for slow clients.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Router from '@koa/router';
import pino from 'pino';
import { createHttpApp, listen, noStore, readJsonObject, type Drainable, type RequestState } from '../../core/http/index.ts';
import { httpRequest } from '../helpers/server.ts';

describe('http', () => {
  let server: Server;
  let drain: Drainable;
  let url: string;
  before(async () => {
    const router = new Router<RequestState>();
    router.get('/plain', (ctx) => {
      ctx.body = { plain: true };
    });
    router.get('/broken', () => {
      throw new Error('database password is hunter2');
    });
    router.post('/echo', async (ctx) => {
      ctx.body = await readJsonObject(ctx, 256);
    });
    const secret = new Router<RequestState>();
    secret.use(noStore);
    secret.get('/secret', (ctx) => {
      ctx.body = { token: 'not for caches' };
    });
    router.use(secret.routes());
    const app = createHttpApp(pino({ level: 'silent' }), router);
    ({ server, drain } = await listen(app.callback(), { port: 0, host: '127.0.0.1', requestTimeoutMs: 300 }));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => drain.drain(1000));

  it('answers unknown paths 404 and wrong methods 405 with Allow, as JSON errors that are not cached', async () => {
    const missing = await httpRequest(`${url}/nowhere`, 'GET');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'not_found', error_description: 'no such endpoint' });
    assert.equal(missing.headers.get('cache-control'), 'no-store');
    const wrong = await httpRequest(`${url}/plain`, 'DELETE');
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers.get('allow') ?? '', /GET/);
  });

  it('turns an unexpected error into server_error naming the request id, and nothing of the error', async () => {
    const broken = await httpRequest(`${url}/broken`, 'GET');
    assert.equal(broken.status, 500);
    const id = broken.headers.get('x-request-id')!;
    assert.deepEqual(broken.json, { error: 'server_error', error_description: `internal server error (request id ${id})` });
    assert.doesNotMatch(broken.text, /hunter2|at .*\.ts/);
  });

  it('gives every request an id, keeping a sane caller id as a prefix only', async () => {
    const offered = await httpRequest(`${url}/plain`, 'GET', { headers: { 'x-request-id': 'trace-1' } });
    assert.match(offered.headers.get('x-request-id')!, /^trace-1\/[0-9a-f]{8}$/);
    const insane = await httpRequest(`${url}/plain`, 'GET', { headers: { 'x-request-id': 'a b' } });
    assert.match(insane.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });

  it('reads JSON bodies within bounds: malformed (with where), too large, too deep, the wrong type', async () => {
    assert.deepEqual((await httpRequest(`${url}/echo`, 'POST', { json: { a: 1 } })).json, { a: 1 });
    const malformed = await httpRequest(`${url}/echo`, 'POST', { body: '{"a":\n  1,,}', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.match(malformed.json.error_description, /not valid JSON.*line 2/);
    const large = await httpRequest(`${url}/echo`, 'POST', { json: { a: 'x'.repeat(300) } });
    assert.equal(large.status, 413);
    const deep = await httpRequest(`${url}/echo`, 'POST', { body: `{"a":${'['.repeat(40)}${']'.repeat(40)}}`, headers: { 'content-type': 'application/json' } });
    assert.equal(deep.status, 400);
    assert.match(deep.json.error_description, /nested more than 32 levels/);
    const text = await httpRequest(`${url}/echo`, 'POST', { body: '{}', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 400);
    assert.match(text.json.error_description, /unsupported content type "text\/plain"/);
    // curl's default type is taken for JSON when the body is a JSON object, and only then.
    assert.deepEqual((await httpRequest(`${url}/echo`, 'POST', { body: '{"b":2}', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).json, { b: 2 });
    const form = await httpRequest(`${url}/echo`, 'POST', { body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.match(form.json.error_description, /must be a JSON object sent as application\/json/);
  });

  it('sets no-store where a router asks for it, and only there', async () => {
    assert.equal((await httpRequest(`${url}/secret`, 'GET')).headers.get('cache-control'), 'no-store');
    assert.equal((await httpRequest(`${url}/plain`, 'GET')).headers.get('cache-control'), null);
  });

  it('answers 408 to a client that does not finish its request in time, and closes the connection', async () => {
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
    socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.match(answer, /^HTTP\/1\.1 408/);
  });
});
