// `npm start`'s entry as a real process: the startup line, SIGTERM, restart with the same data,
// secrets at rest, and operator mistakes at start.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { Agent, request as httpRequestRaw } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../core/store/index.ts';
import { failedStart, startProcess as start, stopProcess as stop } from './helpers/process.ts';
import { freePort, httpRequest, tempDir } from './helpers/server.ts';

describe('the server process', () => {
  it('prints its URL and what it runs on, stops cleanly on SIGTERM and keeps clients across a restart, secrets encrypted at rest', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = { PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir };
    const children: ChildProcess[] = [];
    try {
      const first = await start(env);
      children.push(first.child);
      const scripts = new URL('../scripts', import.meta.url).pathname;
      assert.equal(
        first.line,
        `Registrar listening on http://127.0.0.1:${port} (issuer http://localhost:${port}); store embedded ${join(dataDir, 'registrar.db')}; authorization server none; ` +
          `scripts 0 in force, 8 off in ${scripts}; configuration defaults; 1 process`,
        'the samples are there, and off',
      );
      const created = await httpRequest(`${first.url}/register`, 'POST', {
        json: { redirect_uris: ['https://client.example.org/cb'], client_name: 'Survivor' },
      });
      assert.equal(created.status, 201);
      assert.equal(created.json.registration_policy_uri, undefined, 'the shipped samples are off: nothing of theirs in the answer');
      assert.equal(first.stderr(), '');
      assert.equal(await stop(first), 0);

      for (const file of ['registrar.db', 'encryption.key']) {
        assert.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, `${file} is readable by its owner only`);
      }
      const database = readdirSync(dataDir)
        .filter((f) => f.startsWith('registrar.db'))
        .map((f) => readFileSync(join(dataDir, f)).toString('latin1'))
        .join('');
      assert.ok(database.includes('Survivor'), 'the client is in the database file');
      assert.ok(!database.includes(created.json.client_secret), 'the client secret is not stored in clear');
      assert.ok(!database.includes(created.json.registration_access_token), 'the registration access token is not stored');

      const second = await start(env);
      children.push(second.child);
      assert.match(second.line, /; configuration stored revision 1; 1 process$/);
      const path = new URL(created.json.registration_client_uri).pathname;
      const read = await httpRequest(`${second.url}${path}`, 'GET', { token: created.json.registration_access_token });
      assert.equal(read.status, 200);
      assert.equal(read.json.client_name, 'Survivor');
      assert.equal(await stop(second), 0);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('SIGTERM under load: requests received are answered (Connection: close), none is cut, decision records are flushed, the process exits', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const running = await start({ PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_SHUTDOWN_TIMEOUT_SECONDS: '10' });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const answered: number[] = [];
    const failures: string[] = [];
    const register = () =>
      new Promise<void>((resolve) => {
        const body = JSON.stringify({ redirect_uris: ['https://client.example.org/cb'] });
        const request = httpRequestRaw({ host: '127.0.0.1', port, path: '/register', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
          response.resume();
          response.on('end', () => {
            answered.push(response.statusCode ?? 0);
            resolve();
          });
        });
        request.on('error', (err: NodeJS.ErrnoException) => {
          failures.push(err.code ?? err.message);
          resolve();
        });
        request.end(body);
      });
    let refused = false;
    const loops = Array.from({ length: 8 }, async () => {
      while (!refused) {
        await register();
        if (failures.length > 0) refused = true;
      }
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = answered.length;
      const exited = once(running.child, 'exit');
      running.child.kill('SIGTERM');
      const [code] = await exited;
      refused = true;
      await Promise.all(loops);
      assert.equal(code, 0);
      assert.ok(before > 0 && answered.length >= before);
      assert.ok(answered.every((status) => status === 201), String([...new Set(answered)]));
      // A request the server never received (a keep-alive socket it closed as idle, a connection left in the listen
      // backlog) fails at the connection; one it received is always answered: the store proves it below.
      assert.ok(failures.every((failure) => ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(failure)), `requests failed with ${[...new Set(failures)]}`);
      const store = new EmbeddedStore(dataDir);
      try {
        const stored = await store.clients.query({}, Date.now(), 100_000);
        assert.equal(stored.length, answered.length, 'every registration the server made was answered, and every answer was a registration');
        assert.equal((await store.decisions.list({ limit: 100_000 })).length, answered.length, 'the decision records were flushed before exit');
      } finally {
        await store.close();
      }
    } finally {
      refused = true;
      agent.destroy();
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('SIGTERM while the reconciler waits on an authorization server that does not answer: the run is cut, the process exits at once', async () => {
    // A server that accepts connections and never answers; each call would wait out its 60 s timeout.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const dataDir = tempDir();
    const configFile = join(dataDir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ authorizationServer: { type: 'hydra', adminUrl: url, issuer: url }, authorizationServerTimeoutMs: 60_000 }));
    try {
      const running = await start({ PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_CONFIG: configFile, DCR_SHUTDOWN_TIMEOUT_SECONDS: '30' });
      // The metadata read and the reconciler's first call (the list of clients) are under way, each waiting on the silent server.
      while (sockets.size < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      const started = performance.now();
      assert.equal(await stop(running), 0);
      // Far inside both the call timeout and the shutdown deadline: nothing waited for either.
      assert.ok(performance.now() - started < 10_000, `stopping took ${performance.now() - started} ms`);
      assert.doesNotMatch(running.stdout() + running.stderr(), /still open at the shutdown deadline/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('runs without scripts when DCR_SCRIPTS_OPTIONAL says so, and says so; warns once when no administration client exists', async () => {
    const dataDir = tempDir();
    const running = await start({ PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_SCRIPTS_DIR: join(dataDir, 'absent'), DCR_SCRIPTS_OPTIONAL: 'true' });
    try {
      const ready = await httpRequest(`${running.url}/health/ready`, 'GET');
      assert.equal(ready.status, 200);
      assert.equal(ready.json.scripts, 'none');
      for (let waited = 0; !running.stdout().includes('no administration client') && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(running.stdout().split('no administration client exists').length - 1, 1, running.stdout());
    } finally {
      await stop(running);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('uses DCR_ENCRYPTION_KEY and DCR_ISSUER, and reads DCR_CONFIG', async () => {
    const dataDir = tempDir();
    const config = join(dataDir, 'config.json');
    writeFileSync(config, JSON.stringify({ dynamicRegistrationEnabled: false }));
    const port = await freePort();
    const running = await start({
      PORT: String(port),
      DCR_HOST: '127.0.0.1',
      DCR_DATA_DIR: dataDir,
      DCR_ISSUER: 'https://dcr.example.org/',
      DCR_CONFIG: config,
      DCR_ENCRYPTION_KEY: 'a'.repeat(64),
    });
    try {
      const discovery = await httpRequest(`${running.url}/.well-known/openid-configuration`, 'GET');
      assert.equal(discovery.json.issuer, 'https://dcr.example.org');
      assert.equal(discovery.json.registration_endpoint, 'https://dcr.example.org/register');
      const refused = await httpRequest(`${running.url}/register`, 'POST', { json: { redirect_uris: ['https://a.example/cb'] } });
      assert.equal(refused.status, 403);
      assert.doesNotMatch(running.stderr(), /development key/);
      assert.deepEqual(readdirSync(dataDir).filter((f) => f === 'encryption.key'), [], 'no dev key generated');
    } finally {
      await stop(running);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (const [name, env, message] of [
    ['an unknown configuration property', { DCR_CONFIG: 'CONFIG' }, /unknown property "noSuchProperty"/],
    ['a bad PORT', { PORT: 'eighty' }, /PORT/],
    ['a short DCR_ENCRYPTION_KEY', { DCR_ENCRYPTION_KEY: 'abcd' }, /DCR_ENCRYPTION_KEY must be 32 bytes/],
    ['a missing DCR_CONFIG file', { DCR_CONFIG: '/nonexistent/config.json' }, /cannot read/],
    ['MongoDB unreachable', { MONGODB_URI: 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500', DCR_ENCRYPTION_KEY: 'c'.repeat(64) }, /cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:9/],
    ['MongoDB without DCR_ENCRYPTION_KEY', { MONGODB_URI: 'mongodb://127.0.0.1:9/' }, /DCR_ENCRYPTION_KEY is required with MONGODB_URI/],
    ['a DCR_DATA_DIR that cannot be created', { DCR_DATA_DIR: '/proc/registrar-data' }, /DCR_DATA_DIR: cannot create \/proc\/registrar-data/],
    ['a missing DCR_SCRIPTS_DIR (a typo must not remove every policy)', { DCR_SCRIPTS_DIR: '/nonexistent/scripts' }, /DCR_SCRIPTS_DIR: \/nonexistent\/scripts cannot be read \(ENOENT\); create it, or set DCR_SCRIPTS_OPTIONAL=true/],
    ['a DCR_DATA_DIR that is a file', { DCR_DATA_DIR: '/etc/hostname' }, /DCR_DATA_DIR: \/etc\/hostname is not a directory/],
  ] as const) {
    it(`refuses to start with ${name}: a clear message and exit code 1`, async () => {
      const dataDir = tempDir();
      const configFile = join(dataDir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ noSuchProperty: true }));
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === 'CONFIG' ? configFile : v]));
      const { code, stderr } = await failedStart({ PORT: String(await freePort()), DCR_DATA_DIR: dataDir, ...resolved });
      rmSync(dataDir, { recursive: true, force: true });
      assert.equal(code, 1);
      assert.match(stderr, /^Registrar failed to start: /);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }
});

/** Why uid 10001 cannot run this checkout (a folder on the way closed to other users), or undefined when it can. */
function closedToOthers(): string | undefined {
  for (let dir = new URL('..', import.meta.url).pathname.replace(/\/$/, ''); dir !== ''; dir = dir.slice(0, dir.lastIndexOf('/'))) {
    if ((statSync(dir).mode & 0o001) === 0) return `${dir} is closed to other users, and the server runs as uid 10001 here`;
  }
  return undefined;
}

describe('the constraints of the container image and the systemd unit (docs/deploy)', () => {
  it('serves as an unprivileged user on a read-only root file system, writing only its data folder', { skip: closedToOthers() }, async () => {
    const dataDir = tempDir();
    const scriptsDir = tempDir();
    const port = await freePort();
    // The user the image runs as; the data folder is its own, the scripts folder only readable.
    chownSync(dataDir, 10001, 10001);
    chmodSync(scriptsDir, 0o755);
    writeFileSync(join(scriptsDir, 'gate.js'), 'export function createClient(context) { return context.client.client_name !== "no"; }');
    chmodSync(join(scriptsDir, 'gate.js'), 0o644);
    const readOnlyRoot = `mount --bind / / && mount -o remount,bind,ro / && mount --bind ${dataDir} ${dataDir} && mount -o remount,bind,rw ${dataDir} && exec setpriv --reuid 10001 --regid 10001 --clear-groups "$@"`;
    const running = await start({ PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_SCRIPTS_DIR: scriptsDir }, ['unshare', '-m', 'sh', '-c', readOnlyRoot, 'sh']);
    try {
      assert.match(running.line, /scripts 1 in force/);
      assert.equal((await httpRequest(`${running.url}/register`, 'POST', { json: { redirect_uris: ['https://client.example.org/cb'] } })).status, 201);
      assert.equal((await httpRequest(`${running.url}/register`, 'POST', { json: { redirect_uris: ['https://client.example.org/cb'], client_name: 'no' } })).status, 400);
      assert.equal((await httpRequest(`${running.url}/health/ready`, 'GET')).json.status, 'ready');
      assert.equal(statSync(join(dataDir, 'registrar.db')).uid, 10001);
    } finally {
      assert.equal(await stop(running), 0);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(scriptsDir, { recursive: true, force: true });
    }
  });
});
