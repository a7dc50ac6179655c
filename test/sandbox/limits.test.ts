// Hostile scripts: each limit proven with a real script, and the server carries on after each.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startHttpHost } from '../helpers/httpHost.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT } from '../helpers/server.ts';

/** Results built to exhaust the host, in an isolate with room enough to build them. */
const LARGE = `
export function createClient(context) {
  const mode = context.request.client_name;
  if (mode === 'huge-string') return { client_name: 'x'.repeat(25 * 1024 * 1024) };
  if (mode === 'deep') { let o = {}; const top = o; for (let i = 0; i < 1_000_000; i += 1) o = o.next = {}; return top; }
  if (mode === 'many-uris') { context.client.redirect_uris = Array.from({ length: 200_000 }, (_, i) => 'https://client.example.org/cb/' + i); return true; }
  return true;
}`;

const HOSTILE = `
export function createClient(context) {
  const mode = context.request.client_name;
  if (mode === 'loop') for (;;) {}
  if (mode === 'bomb') { const keep = []; for (;;) keep.push(new Array(1_000_000).fill(keep.length)); }
  if (mode === 'huge') return { client_name: 'x'.repeat(400 * 1024) };
  if (mode === 'circular') { const o = {}; o.self = o; return o; }
  if (mode === 'shared') { const uris = ['https://client.example.org/cb']; return { redirect_uris: uris, post_logout_redirect_uris: uris }; }
  return true;
}
export async function modifyScopes(scopes, context) {
  const mode = context.request.client_name;
  if (mode === 'loop-after-await') { await null; for (;;) {} }
  if (mode === 'never') await new Promise(() => {});
  if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 10));
  if (mode === 'yield') { await null; await null; }
  return scopes;
}
export function modifyPostResponse(response) {
  response.escape = {
    process: typeof process, require: typeof require, module: typeof module, fetch: typeof fetch,
    setTimeout: typeof setTimeout, Function: (() => { try { return typeof Function('return process')(); } catch (e) { return 'threw'; } })(),
    importMeta: typeof import.meta.resolve,
  };
  return true;
}`;

describe('sandbox limits', () => {
  let server: ScriptServer;
  before(async () => {
    // Each test here meets one limit; the CPU share, which successive runaways would reach, has a test of its own.
    server = await startScriptServer({ hostile: [HOSTILE, { timeoutMs: 150, memoryLimitMb: 32, maxCpuMsPerSecond: 60_000 }] });
  });
  after(() => server.close());

  async function failsPromptlyAndRecovers(mode: string, code: string) {
    const started = Date.now();
    const restarted = once(server.registrar.scripts, 'restarted');
    const response = await server.register({ ...WEB_CLIENT, client_name: mode });
    assertError(response, 500, 'server_error');
    assert.ok(Date.now() - started < 3000, `${mode} answered in ${Date.now() - started} ms`);
    assert.equal(scriptStatus(server, 'hostile').lastError.code, code);
    // The next call rebuilds the isolate from the same source and the server carries on.
    const ok = await server.register({ ...WEB_CLIENT, client_name: 'fine' });
    assert.equal(ok.status, 201, ok.text);
    await restarted;
    return response;
  }

  it('an infinite loop hits the CPU timeout', async () => {
    await failsPromptlyAndRecovers('loop', 'timeout');
  });

  it('a loop after an await hits the wall-clock guard', async () => {
    await failsPromptlyAndRecovers('loop-after-await', 'timeout');
  });

  it('a promise that never settles hits the wall-clock guard', async () => {
    await failsPromptlyAndRecovers('never', 'timeout');
  });

  it('calls arriving together cross into the isolate together yet answer one by one; a runaway among them is stopped', async () => {
    const modes = ['fine', 'circular', 'fine', 'huge', 'fine', 'fine', 'circular', 'fine'];
    const responses = await Promise.all(modes.map((mode) => server.register({ ...WEB_CLIENT, client_name: mode })));
    assert.deepEqual(
      responses.map((response) => response.status),
      modes.map((mode) => (mode === 'circular' || mode === 'huge' ? 500 : 201)),
    );
    const started = Date.now();
    const [looped, ...others] = await Promise.all(['loop', 'fine', 'fine', 'fine'].map((mode) => server.register({ ...WEB_CLIENT, client_name: mode })));
    assertError(looped!, 500, 'server_error');
    // At most timeoutMs (150) for each call that crossed with it.
    assert.ok(Date.now() - started < 150 * 4 + 2000, `answered in ${Date.now() - started} ms`);
    for (const other of others) assert.ok(other.status === 201 || other.status === 500, other.text);
    const after = await server.register({ ...WEB_CLIENT, client_name: 'fine' });
    assert.equal(after.status, 201, after.text);
  });

  it('a memory bomb fails that call only', async () => {
    await failsPromptlyAndRecovers('bomb', 'memory_limit');
    assert.ok(scriptStatus(server, 'hostile').restarts >= 1);
  });

  it('calls in flight on an isolate that runs out of memory are made again on a fresh one: no ordinary registration fails', async () => {
    const ordinary = (i: number) => server.register({ ...WEB_CLIENT, client_name: i % 3 === 0 ? 'yield' : 'fine' });
    for (let round = 0; round < 3; round += 1) {
      const [bomb, ...others] = await Promise.all([server.register({ ...WEB_CLIENT, client_name: 'bomb' }), ...Array.from({ length: 40 }, (_, i) => ordinary(i))]);
      assertError(bomb!, 500, 'server_error');
      const failed = others.filter((response) => response.status !== 201);
      assert.deepEqual(failed.map((response) => response.text), [], `round ${round}: ordinary registrations failed`);
    }
  });

  it('an oversized result is refused', async () => {
    assertError(await server.register({ ...WEB_CLIENT, client_name: 'huge' }), 500, 'server_error');
    assert.equal(scriptStatus(server, 'hostile').lastError.code, 'output_too_large');
  });

  it('a 25 MB result, a million-deep object and 200,000 redirect URIs changed in place are refused inside the isolate, never copied out', async () => {
    await server.put('large', LARGE, { memoryLimitMb: 512, timeoutMs: 5000 });
    try {
      for (const mode of ['huge-string', 'deep', 'many-uris']) {
        assertError(await server.register({ ...WEB_CLIENT, client_name: mode }), 500, 'server_error');
        const { lastError } = scriptStatus(server, 'large');
        assert.equal(lastError.code, 'output_too_large', `${mode}: ${JSON.stringify(lastError)}`);
      }
      assert.equal((await server.register({ ...WEB_CLIENT, client_name: 'fine' })).status, 201);
    } finally {
      await server.drop('large');
    }
  });

  it('an unserialisable result is refused; one value in two places is not circular', async () => {
    assertError(await server.register({ ...WEB_CLIENT, client_name: 'circular' }), 500, 'server_error');
    assert.equal(scriptStatus(server, 'hostile').lastError.code, 'bad_output');
    const shared = await server.register({ ...WEB_CLIENT, client_name: 'shared' });
    assert.equal(shared.status, 201, shared.text);
    assert.deepEqual(shared.json.post_logout_redirect_uris, ['https://client.example.org/cb']);
  });

  it('nothing of the host is reachable', async () => {
    const response = await server.register({ ...WEB_CLIENT, client_name: 'fine' });
    assert.deepEqual(response.json.escape, {
      process: 'undefined',
      require: 'undefined',
      module: 'undefined',
      fetch: 'undefined',
      setTimeout: 'undefined',
      Function: 'threw',
      importMeta: 'undefined',
    });
  });

  it('imports are refused at load time and the script never activates', async () => {
    await server.put('importer', `import { readFileSync } from 'node:fs';\nexport function createClient() { return readFileSync('/etc/passwd'); }`);
    const status = scriptStatus(server, 'importer');
    assert.equal(status.state, 'failed');
    assert.match(status.lastError.message, /imports are not available/);
    await server.drop('importer');
  });

  it('a plugin that is not granted is a clear error at the call, and a declared one refuses activation', async () => {
    await server.put('sneaky', `export async function createClient(context) { if (context.request.client_name === 'sneak') await host.clients.count({ software_id: 'x' }); }`);
    assertError(await server.register({ ...WEB_CLIENT, client_name: 'sneak' }), 500, 'server_error');
    assert.match(scriptStatus(server, 'sneaky').lastError.message, /host\.clients is not available: the clients plugin is not granted/);
    await server.put('declared', `export const uses = ['clients'];\nexport function createClient() {}`);
    assert.equal(scriptStatus(server, 'declared').state, 'failed');
    assert.equal(scriptStatus(server, 'declared').lastError.code, 'capability_denied');
    await server.put('declared', `export const uses = ['clients'];\nexport function createClient() {}`, { plugins: { clients: {} } });
    assert.equal(scriptStatus(server, 'declared').state, 'active');
    await server.drop('sneaky');
    await server.drop('declared');
  });

  it('bounds the calls in flight: overload answers 503 with Retry-After', async () => {
    await server.put('narrow', `export async function modifyScopes(scopes) { await host.cache.get('x'); await host.cache.get('y'); return scopes; }`, {
      maxInFlight: 1,
      plugins: { cache: {} },
    });
    const results = await Promise.all(Array.from({ length: 12 }, () => server.register(WEB_CLIENT)));
    const statuses = results.map((r) => r.status);
    assert.ok(statuses.includes(503), String(statuses));
    assert.ok(statuses.includes(201), String(statuses));
    const overloaded = results.find((r) => r.status === 503)!;
    assertError(overloaded, 503, 'temporarily_unavailable');
    assert.equal(overloaded.headers.get('retry-after'), '1');
    await server.drop('narrow');
  });
});

describe('one bad call fails alone', () => {
  const SCRIPT = `export async function modifyScopes(scopes, context) {
    const mode = context.client.client_name;
    if (mode === 'never') await new Promise(() => {});
    if (mode === 'runaway') for (;;) {}
    if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 120));
    return [...scopes, mode ?? 'none'];
  }`;
  const context = (name: string) => ({ operation: 'create' as const, requestId: name, clientId: 'c', request: {}, client: { client_name: name } });

  it('a call that never settles takes no other call with it: calls in flight beside it keep their verdicts', async () => {
    const remote = await startHttpHost();
    remote.routes.set('/slow', (_request, response) => setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 120));
    const slow = SCRIPT.replace(`await new Promise((resolve) => setTimeout(resolve, 120))`, `await host.http.getJson('${remote.url}/slow')`);
    const server = await startScriptServer(
      { hanging: [slow, { timeoutMs: 300, plugins: { http: { allowedHosts: [new URL(remote.url).host] } } }] },
      { properties: { outboundAllowHttp: true, outboundAllowPrivateAddresses: true } },
    );
    try {
      const hang = server.register({ ...WEB_CLIENT, client_name: 'never' });
      await new Promise((resolve) => setTimeout(resolve, 250));
      // These are in flight on the same isolate when the hung call times out.
      const beside = await Promise.all(Array.from({ length: 10 }, () => server.register({ ...WEB_CLIENT, client_name: 'slow' })));
      assertError(await hang, 500, 'server_error');
      for (const response of beside) assert.equal(response.status, 201, response.text);
      assert.equal(scriptStatus(server, 'hanging').lastError.code, 'timeout');
      assert.equal((await server.register({ ...WEB_CLIENT, client_name: 'after' })).status, 201);
    } finally {
      await server.close();
      await remote.close();
    }
  });

  it('a runaway sharing a crossing fails alone, with a timeout; the calls beside it are made again and answer', async () => {
    const server = await startScriptServer({ spinning: [SCRIPT, { timeoutMs: 150 }] });
    try {
      const policy = server.registrar.scripts;
      const names = ['a', 'b', 'runaway', 'c', 'd', 'e', 'f', 'g'];
      // One turn of the event loop: the eight calls cross into the isolate together.
      const outcomes = await Promise.allSettled(names.map((name) => policy.forRequest({ requestId: name }).decideList('modifyScopes', ['openid'], context(name))));
      outcomes.forEach((outcome, index) => {
        if (names[index] === 'runaway') {
          assert.equal(outcome.status, 'rejected');
          assert.equal((outcome as PromiseRejectedResult).reason.code, 'timeout');
        } else assert.deepEqual((outcome as PromiseFulfilledResult<string[]>).value, ['openid', names[index]]);
      });
      const status = scriptStatus(server, 'spinning');
      assert.equal(status.lastError.code, 'timeout');
      assert.equal(status.stats.modifyScopes.errors, 1, 'only the runaway failed');
    } finally {
      await server.close();
    }
  });
});

describe('runtime helpers', () => {
  it("are out of a script's reach from its first line: it cannot answer for another script's calls or log under another request", async () => {
    const HELPERS = ['__registrarDispatch', '__registrarComplete', '__registrarGranted', '__settleLater', '__setCall', '__drainLogs', '__registrar', 'serve', 'api'];
    const prober = `
      const found = ${JSON.stringify(HELPERS)}.filter((name) => name in globalThis);
      export function modifyScopes(scopes) {
        const later = ${JSON.stringify(HELPERS)}.filter((name) => name in globalThis);
        return [...scopes, ...found.map((name) => 'load' + name), ...later.map((name) => 'call' + name)];
      }`;
    const honest = `export async function modifyScopes(scopes) { await null; return [...scopes, 'profile']; }`;
    const server = await startScriptServer({ prober: [prober, { priority: 1 }], honest: [honest, { priority: 2 }] });
    try {
      const responses = await Promise.all(Array.from({ length: 8 }, () => server.register({ ...WEB_CLIENT, scope: 'openid' })));
      for (const response of responses) {
        assert.equal(response.status, 201, response.text);
        assert.equal(response.json.scope, 'openid profile');
      }
    } finally {
      await server.close();
    }
  });
});

/** One isolate of `code`, outside any host: 16 MB, 200 ms, no plugins. */
function bareIsolate(Isolate: typeof import('../../core/sandbox/isolate.ts').ScriptIsolate, code: string) {
  return Isolate.create({ name: 'bare', file: 'bare.js', code, memoryLimitMb: 16, timeoutMs: 200, granted: {}, dispatch: async () => undefined, pluginBudget: { calls: 50, bytes: 1 << 20 } });
}

describe('script isolate', () => {
  it('calls made in one turn share a crossing (up to MAX_BATCH each) and still answer one by one', async () => {
    const { MAX_BATCH, ScriptIsolate } = await import('../../core/sandbox/isolate.ts');
    const { ScriptError } = await import('../../core/sandbox/errors.ts');
    const instance = await bareIsolate(
      ScriptIsolate,
      `export function modifyScopes(scopes, context) {
        if (context.mode === 'refuse') throw new RegistrationError('invalid_client_metadata', 'refused ' + context.n);
        if (context.mode === 'throw') throw new Error('broke ' + context.n);
        console.info('call ' + context.n);
        return [...scopes, 'n' + context.n];
      }`,
    );
    try {
      const modes = Array.from({ length: MAX_BATCH + 4 }, (_, n) => (n % 7 === 3 ? 'refuse' : n % 7 === 5 ? 'throw' : 'ok'));
      const outcomes = await Promise.allSettled(modes.map((mode, n) => instance.call('modifyScopes', [['openid'], { mode, n }], 200, `req-${n}`)));
      assert.equal(instance.crossings, 2);
      outcomes.forEach((outcome, n) => {
        if (modes[n] === 'throw') {
          assert.equal(outcome.status, 'rejected');
          assert.ok((outcome as PromiseRejectedResult).reason instanceof ScriptError);
          assert.match((outcome as PromiseRejectedResult).reason.message, new RegExp(`broke ${n}`));
          return;
        }
        assert.equal(outcome.status, 'fulfilled');
        const value = (outcome as PromiseFulfilledResult<any>).value;
        if (modes[n] === 'refuse') assert.deepEqual([value.kind, value.description], ['rejected', `refused ${n}`]);
        else {
          assert.deepEqual(value.value, ['openid', `n${n}`]);
          assert.deepEqual(value.logs, [[`req-${n}`, 'info', `call ${n}`]]);
        }
      });
    } finally {
      instance.dispose();
    }
  });
});

describe("a script's share of CPU", () => {
  it('a script that used maxCpuMsPerSecond takes no call until the second moves on (503, Retry-After); other scripts serve on', async () => {
    const server = await startScriptServer({
      burner: [
        `export const match = { createClient: { properties: { request: { properties: { client_name: { enum: ['burn', 'calm'] } }, required: ['client_name'] } } } };
        export function createClient(context) { if (context.request.client_name === 'burn') for (;;) {} return true; }`,
        { timeoutMs: 150, maxCpuMsPerSecond: 100 },
      ],
      honest: 'export function modifyPostResponse(response) { response.honest = true; return true; }',
    });
    try {
      assertError(await server.register({ ...WEB_CLIENT, client_name: 'burn' }), 500, 'server_error');
      assert.ok(scriptStatus(server, 'burner').cpuMsLastSecond >= 100, JSON.stringify(scriptStatus(server, 'burner')));
      const refused = await server.register({ ...WEB_CLIENT, client_name: 'calm' });
      assertError(refused, 503, 'temporarily_unavailable');
      assert.ok(refused.headers.get('retry-after'));
      const other = await server.register({ ...WEB_CLIENT, client_name: 'someone else' });
      assert.equal(other.status, 201, other.text);
      assert.equal(other.json.honest, true);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await server.register({ ...WEB_CLIENT, client_name: 'calm' })).status, 201);
    } finally {
      await server.close();
    }
  });
});

describe('a runaway in a shared crossing', () => {
  it('is told from the calls beside it: it gets its timeout at once and is not made again; they are collateral, made again elsewhere', async () => {
    const { ScriptIsolate } = await import('../../core/sandbox/isolate.ts');
    const instance = await bareIsolate(
      ScriptIsolate,
      `export function modifyScopes(scopes, context) {
        if (context.mode === 'loop') for (;;) {}
        return scopes;
      }`,
    );
    try {
      const outcomes = await Promise.allSettled(['ok', 'loop', 'ok'].map((mode) => instance.call('modifyScopes', [['openid'], { mode }], 200)));
      assert.equal(instance.crossings, 1);
      const reasons = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason);
      assert.deepEqual(
        reasons.map((reason) => [reason.code, reason.collateral]),
        [
          ['unloaded', true],
          ['timeout', false],
          ['unloaded', true],
        ],
      );
    } finally {
      instance.dispose();
    }
  });
});

describe('the sandbox memory budget', () => {
  it('an isolate that does not fit what all isolates may hold together is not built; what is in force keeps serving', async () => {
    const server = await startScriptServer({ first: ['export function createClient() { return true; }', { memoryLimitMb: 64 }] }, { env: { DCR_SANDBOX_MEMORY_MB: '100' } });
    try {
      await server.put('second', 'export function createClient() { return true; }', { memoryLimitMb: 64 });
      assert.equal(scriptStatus(server, 'second').state, 'failed');
      assert.match(scriptStatus(server, 'second').lastError.message, /sandbox memory budget \(DCR_SANDBOX_MEMORY_MB, 100 MB\) cannot hold another 64 MB isolate: 64 MB are held/);
      assert.equal(scriptStatus(server, 'first').state, 'active');
      assertError(await server.register(WEB_CLIENT), 503, 'temporarily_unavailable');
      await server.drop('second');
      assert.equal((await server.register(WEB_CLIENT)).status, 201);
      // A new version of the first takes its heap from the budget while the old one drains: 128 MB would not fit either.
      await server.put('first', 'export function createClient() { return true; } // v2', { memoryLimitMb: 32 });
      assert.equal(scriptStatus(server, 'first').state, 'active');
      assert.equal(scriptStatus(server, 'first').settings.memoryLimitMb, 32);
    } finally {
      await server.close();
    }
  });
});
