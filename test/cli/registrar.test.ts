// The command-line tool, run as a process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { ADMIN_ID, ADMIN_SECRET, startAdminServer } from '../helpers/admin.ts';
import { scriptStatus } from '../helpers/scripts.ts';
import { freePort, tempDir } from '../helpers/server.ts';

const CLI = new URL('../../core/cli/registrar.ts', import.meta.url).pathname;
const exec = promisify(execFile);

async function registrar(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', CLI, ...args], { env: { ...process.env, ...env }, ...(cwd ? { cwd } : {}) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npx registrar', () => {
  it('schema prints the Client JSON Schema', async () => {
    const { code, stdout } = await registrar(['schema']);
    assert.equal(code, 0);
    const schema = JSON.parse(stdout);
    assert.equal(schema.$id, 'Client');
    assert.ok(schema.properties.redirectUris && schema.properties.inum);
  });

  it('scripts check compiles every script and type-checks the TypeScript ones', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'good.js'), 'export function createClient() { return true; }');
      writeFileSync(join(dir, 'typed.ts'), 'export function modifyScopes(scopes: string[]): string[] { return scopes; }');
      const clean = await registrar(['scripts', 'check', dir]);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.match(clean.stdout, /ok {7}good \(createClient\)/);
      assert.match(clean.stdout, /types ok \(2 scripts, against the sandbox's globals\)/);
      assert.match(clean.stdout, /verdict: ok \(2 scripts in .*\)\n$/, 'one verdict, last');
      writeFileSync(join(dir, 'broken.js'), 'export function createClient( {');
      writeFileSync(join(dir, 'mistyped.ts'), 'export function modifyScopes(scopes: string[]): number { return scopes; }');
      const dirty = await registrar(['scripts', 'check', dir]);
      assert.equal(dirty.code, 1);
      assert.match(dirty.stdout, /FAILED {3}broken: .*broken\.js:1:/);
      assert.match(dirty.stdout, /type errors:[\s\S]*mistyped\.ts/);
      assert.match(dirty.stdout, /verdict: FAILED \(2 problems in .*\)\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scripts test dry-runs a script offline against a request file', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir, 'scripts'));
      const script = join(dir, 'scripts', 'gate.js');
      writeFileSync(script, `export function createClient(context) { console.log('saw', context.client.client_name); return context.client.client_name !== 'no'; }`);
      writeFileSync(join(dir, 'yes.json'), JSON.stringify({ redirect_uris: ['https://a.example/cb'], client_name: 'yes' }));
      writeFileSync(join(dir, 'no.json'), JSON.stringify({ redirect_uris: ['https://a.example/cb'], client_name: 'no' }));
      const accepted = await registrar(['scripts', 'test', script, join(dir, 'yes.json')]);
      assert.equal(accepted.code, 0, accepted.stderr);
      const result = JSON.parse(accepted.stdout);
      assert.equal(result.outcome, 'accepted');
      assert.deepEqual(result.logs.map((l: { message: string }) => l.message), ['saw yes']);
      const refused = JSON.parse((await registrar(['scripts', 'test', script, join(dir, 'no.json')])).stdout);
      assert.equal(refused.outcome, 'refused');
      assert.equal(refused.error.error, 'invalid_client_metadata');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('config patch sends a JSON Patch to a running server with client credentials', async () => {
    const server = await startAdminServer({ properties: undefined });
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'patch.json'), JSON.stringify([{ op: 'replace', path: 'dynamicRegistrationExpirationTime', value: '600' }]));
      const { code, stdout, stderr } = await registrar(['config', 'patch', join(dir, 'patch.json'), '--url', server.url, '--client-id', ADMIN_ID, '--client-secret', ADMIN_SECRET]);
      assert.equal(code, 0, stderr);
      assert.equal(JSON.parse(stdout).dynamicRegistrationExpirationTime, 600);
      assert.equal(server.registrar.config.current.dynamicRegistrationExpirationTime, 600);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sync runs the reconciler of a running server and prints its report', async () => {
    const server = await startAdminServer();
    try {
      const { code, stdout, stderr } = await registrar(['sync', '--url', server.url, '--client-id', ADMIN_ID, '--client-secret', ADMIN_SECRET]);
      assert.equal(code, 0, stderr);
      const report = JSON.parse(stdout);
      assert.equal(report.trigger, 'demand');
      assert.equal(report.outcome, 'skipped');
      assert.equal(server.registrar.reconciler.last?.trigger, 'demand');
    } finally {
      await server.close();
    }
  });

  it('tokens issue, list and revoke initial access tokens; clients pending, approve and reject the approval queue', async () => {
    const server = await startAdminServer({ properties: { registrationApprovalRequired: true } });
    const credentials = ['--url', server.url, '--client-id', ADMIN_ID, '--client-secret', ADMIN_SECRET];
    try {
      const issued = await registrar(['tokens', 'issue', '--max-registrations', '2', '--label', 'cli', ...credentials]);
      assert.equal(issued.code, 0, issued.stderr);
      const { id, token } = JSON.parse(issued.stdout);
      const registered = await server.request('POST', '/register', { json: { grant_types: ['client_credentials'], response_types: [] }, headers: { authorization: `Bearer ${token}` } });
      assert.equal(registered.status, 201);
      const listed = JSON.parse((await registrar(['tokens', 'list', ...credentials])).stdout);
      assert.equal(listed.tokens[0].registrations, 1);
      const pending = JSON.parse((await registrar(['clients', 'pending', ...credentials])).stdout);
      assert.deepEqual(pending.entries.map((client: { inum: string }) => client.inum), [registered.json.client_id]);
      assert.equal((await registrar(['clients', 'approve', registered.json.client_id, ...credentials])).code, 0);
      assert.equal((await registrar(['clients', 'approve', registered.json.client_id, ...credentials])).code, 1);
      assert.equal((await registrar(['tokens', 'revoke', id, ...credentials])).code, 0);
      assert.equal(JSON.parse((await registrar(['tokens', 'list', ...credentials])).stdout).tokens.length, 0);
    } finally {
      await server.close();
    }
  });

  it('decisions reads the decision log; scripts replay runs a candidate file against recorded registrations', async () => {
    const server = await startAdminServer();
    const dir = tempDir();
    const credentials = ['--url', server.url, '--client-id', ADMIN_ID, '--client-secret', ADMIN_SECRET];
    try {
      await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'x' });
      await server.registrar.flushDecisions();
      const read = await registrar(['decisions', '--operation', 'create', ...credentials]);
      assert.equal(read.code, 0, read.stderr);
      assert.equal(JSON.parse(read.stdout).decisions.length, 1);
      writeFileSync(join(dir, 'strict.next.js'), `export function createClient() { throw new RegistrationError('access_denied', 'closed'); }`);
      const replayed = await registrar(['scripts', 'replay', join(dir, 'strict.next.js'), '--last', '5', ...credentials]);
      assert.equal(replayed.code, 0, replayed.stderr);
      const report = JSON.parse(replayed.stdout);
      assert.equal(report.script, 'strict');
      assert.equal(report.changed, 1);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints its usage for anything else (exit 2), and when asked (exit 0)', async () => {
    const { code, stderr } = await registrar(['frobnicate']);
    assert.equal(code, 2);
    assert.match(stderr, /usage:/);
    for (const asked of ['--help', '-h', 'help']) {
      const help = await registrar([asked]);
      assert.equal(help.code, 0, asked);
      assert.match(help.stdout, /usage:[\s\S]*REGISTRAR_CLIENT_SECRET_FILE/);
    }
  });

  it('says which URL it cannot reach, and why', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await registrar(['fleet', '--url', url, '--token', 'x']);
    assert.equal(code, 2);
    assert.equal(stderr, `registrar: cannot reach ${url}/admin/fleet: ECONNREFUSED\n`);
  });

  it('takes the URL and credentials from the environment or a file; shows the fleet; waits until every process runs a version; finds a file in the scripts folder', async () => {
    const server = await startAdminServer();
    const dir = tempDir();
    try {
      await server.put('gate', 'export function createClient() { return true; }');
      const version = String(scriptStatus(server, 'gate').hash).slice(0, 12);
      const env = { REGISTRAR_URL: server.url, REGISTRAR_CLIENT_ID: ADMIN_ID, REGISTRAR_CLIENT_SECRET: ADMIN_SECRET };
      const fleet = await registrar(['fleet'], env);
      assert.equal(fleet.code, 0, fleet.stderr);
      const view = JSON.parse(fleet.stdout);
      assert.equal(view.processes.length, 1);
      assert.deepEqual(view.agree, { configuration: true, scripts: true, authorizationServer: true });
      assert.ok(view.processes[0].scripts.some((script: { name: string; version: string }) => script.name === 'gate' && script.version === version));

      writeFileSync(join(dir, 'secret'), `${ADMIN_SECRET}\n`);
      const fromFile = { REGISTRAR_URL: server.url, REGISTRAR_CLIENT_ID: ADMIN_ID, REGISTRAR_CLIENT_SECRET_FILE: join(dir, 'secret') };
      const waited = await registrar(['scripts', 'wait', 'gate', version.slice(0, 8), '--timeout', '5'], fromFile);
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stdout, /gate [0-9a-f]{8}: in force in every process \(1\)/);
      const never = await registrar(['scripts', 'wait', 'gate', 'ffffffff', '--timeout', '1'], fromFile);
      assert.equal(never.code, 1);
      assert.match(never.stdout, /not in force in .* pid \d+ after 1 s/);

      await server.register({ redirect_uris: ['https://client.example.org/cb'] });
      await server.registrar.flushDecisions();
      mkdirSync(join(dir, 'scripts'));
      writeFileSync(join(dir, 'scripts', 'gate.next.js'), 'export function createClient() { return false; }');
      // From another folder (the test runner's relative --import would not be found there).
      const replayed = await registrar(['scripts', 'replay', 'gate.next.js'], { ...env, DCR_SCRIPTS_DIR: '', NODE_OPTIONS: '' }, dir);
      assert.equal(replayed.code, 0, replayed.stderr);
      assert.equal(JSON.parse(replayed.stdout).script, 'gate');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
