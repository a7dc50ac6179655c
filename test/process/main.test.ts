// `npm start`'s entry as a real process: the startup line, SIGTERM, restart with the same data,
// secrets at rest, and operator mistakes at start.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { freePort, httpRequest, tempDir } from '../helpers/server.ts';

const MAIN = new URL('../../core/main.ts', import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  url: string;
  line: string;
  stderr: () => string;
}

async function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', MAIN], { env: { ...process.env, DCR_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  let stdout = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const found = stdout.split('\n').find((l) => l.startsWith('Registrar listening on '));
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  const url = /listening on (\S+)/.exec(line)![1]!;
  return { child, url, line, stderr: () => stderr };
}

async function stop(running: Running): Promise<number | null> {
  const exited = once(running.child, 'exit');
  running.child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

describe('the server process', () => {
  it('prints its URL, stops cleanly on SIGTERM and keeps clients across a restart, secrets encrypted at rest', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = { PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir };
    const children: ChildProcess[] = [];
    try {
      const first = await start(env);
      children.push(first.child);
      assert.equal(first.line, `Registrar listening on http://127.0.0.1:${port} (issuer http://localhost:${port})`);
      const created = await httpRequest(`${first.url}/register`, 'POST', {
        json: { redirect_uris: ['https://client.example.org/cb'], client_name: 'Survivor' },
      });
      assert.equal(created.status, 201);
      assert.equal(created.json.registration_policy_uri, 'https://registrar.example.com/policy', 'the shipped sample scripts are active');
      assert.equal(first.stderr(), '');
      assert.equal(await stop(first), 0);

      const database = readdirSync(dataDir)
        .filter((f) => f.startsWith('registrar.db'))
        .map((f) => readFileSync(join(dataDir, f)).toString('latin1'))
        .join('');
      assert.ok(database.includes('Survivor'), 'the client is in the database file');
      assert.ok(!database.includes(created.json.client_secret), 'the client secret is not stored in clear');
      assert.ok(!database.includes(created.json.registration_access_token), 'the registration access token is not stored');

      const second = await start(env);
      children.push(second.child);
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
  ] as const) {
    it(`refuses to start with ${name}: a clear message and exit code 1`, async () => {
      const dataDir = tempDir();
      const configFile = join(dataDir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ noSuchProperty: true }));
      const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === 'CONFIG' ? configFile : v]));
      const child = spawn(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', MAIN], {
        env: { ...process.env, PORT: String(await freePort()), DCR_DATA_DIR: dataDir, ...resolved },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const [code] = await once(child, 'exit');
      rmSync(dataDir, { recursive: true, force: true });
      assert.equal(code, 1);
      assert.match(stderr, /^Registrar failed to start: /);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }
});
