// DCR_WORKERS=2: a supervisor and two worker processes on one port and one embedded store. Each
// request goes out on a connection of its own (the kernel spreads connections over the workers'
// sockets), and the worker that served it is read from its log line (request id -> pid).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequestRaw } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_ID, ADMIN_SECRET } from '../helpers/admin.ts';
import { available, startHydra } from '../helpers/authorizationServers.ts';
import { freePort, tempDir } from '../helpers/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLIENT = { redirect_uris: ['https://client.example.org/cb'], client_name: 'Spread' };

interface Answer {
  status: number;
  json: Record<string, unknown>;
  /** The worker process that answered. */
  pid: number | undefined;
}

describe('DCR_WORKERS: several server processes on one port', () => {
  let child: ChildProcess;
  let url: string;
  let dir: string;
  let scriptsDir: string;
  /** Worker pid by request id, from the workers' log lines. */
  const servedBy = new Map<string, number>();
  let log = '';

  before(async () => {
    dir = tempDir();
    scriptsDir = join(dir, 'scripts');
    cpSync(join(ROOT, 'scripts'), scriptsDir, { recursive: true });
    const configFile = join(dir, 'config.json');
    // The store is read for another process's configuration only every minute: a change must reach the other worker by being told.
    writeFileSync(configFile, JSON.stringify({ configRefreshIntervalSeconds: 60, fleetReportIntervalSeconds: 1 }));
    const port = await freePort();
    child = spawn(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', join(ROOT, 'core/main.ts')], {
      env: {
        ...process.env,
        PORT: String(port),
        DCR_HOST: '127.0.0.1',
        DCR_WORKERS: '2',
        DCR_DATA_DIR: join(dir, 'data'),
        DCR_SCRIPTS_DIR: scriptsDir,
        DCR_CONFIG: configFile,
        DCR_LOG_LEVEL: 'info',
        DCR_ADMIN_CLIENT_ID: ADMIN_ID,
        DCR_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (chunk) => (log += chunk));
    let pending = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const text of lines) {
          log += `${text}\n`;
          if (text.startsWith('Registrar listening on ')) resolve(text);
          if (!text.startsWith('{')) continue;
          const entry = JSON.parse(text) as { reqId?: string; pid?: number; msg?: string };
          if (entry.msg === 'request' && entry.reqId) servedBy.set(entry.reqId, entry.pid!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${log}`)));
    });
    assert.match(line, /; configuration .*config\.json, applied as revision 1; 2 worker processes$/);
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, 'the supervisor and its workers stop cleanly');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** One request on a connection of its own; which worker answered comes from its log line. */
  async function fresh(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const response = await new Promise<{ status: number; text: string; requestId: string }>((resolve, reject) => {
      const req = httpRequestRaw(`${url}${path}`, { method, agent: false, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text, requestId: String(res.headers['x-request-id']) }));
      });
      req.on('error', reject);
      req.end(payload);
    });
    // The log line is written as the response ends; give the pipe a moment.
    for (let i = 0; i < 50 && !servedBy.has(response.requestId); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    return { status: response.status, json: response.text ? (JSON.parse(response.text) as Record<string, unknown>) : {}, pid: servedBy.get(response.requestId) };
  }

  async function adminAccessToken(): Promise<string> {
    const token = await fresh('POST', '/jans-auth/restv1/token', 'grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
    });
    assert.equal(token.status, 200);
    return String(token.json.access_token);
  }

  const metricsText = () =>
    new Promise<string>((resolve, reject) => {
      httpRequestRaw(`${url}/metrics`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });

  async function waitUntilGone(pid: number): Promise<void> {
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const registerMany = (count: number) => Promise.all(Array.from({ length: count }, () => fresh('POST', '/register', CLIENT)));

  /** Retries `check` over fresh connections until 20 in a row pass (each worker answered some) or the time is up. */
  async function eventually(check: (answer: Answer) => boolean, request: () => Promise<Answer>): Promise<Set<number | undefined>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answers = await Promise.all(Array.from({ length: 20 }, request));
      const pids = new Set(answers.map((answer) => answer.pid));
      if (answers.every(check) && pids.size === 2) return pids;
      if (Date.now() > deadline) assert.fail(`not every worker took the change: ${JSON.stringify(answers.map((a) => [a.pid, a.status]))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('serves from two processes, and each reads the clients the other registered', async () => {
    const created = await registerMany(20);
    assert.ok(created.every((answer) => answer.status === 201));
    const creators = new Set(created.map((answer) => answer.pid));
    assert.equal(creators.size, 2, 'both workers registered clients');
    assert.ok(!creators.has(child.pid), 'the supervisor serves nothing');
    const crossReads = new Set<string>();
    for (const client of created) {
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const read = await fresh('GET', new URL(String(client.json.registration_client_uri)).pathname, undefined, {
          authorization: `Bearer ${client.json.registration_access_token}`,
        });
        assert.equal(read.status, 200);
        assert.equal(read.json.client_id, client.json.client_id);
        crossReads.add(`${client.pid}->${read.pid}`);
      }
    }
    assert.ok(crossReads.size >= 3, `clients were read by the worker that did not register them: ${[...crossReads].join(', ')}`);
  });

  /** GET /admin/fleet until `done` holds of it. */
  async function fleetUntil(done: (view: { processes: Array<{ pid: number; role: string; configurationRevision: number; scripts: Array<{ name: string; state: string; version: string | null }> }>; stale: Array<{ pid: number }>; agree: Record<string, boolean> }) => boolean) {
    const token = await adminAccessToken();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const view = (await fresh('GET', '/admin/fleet', undefined, { authorization: `Bearer ${token}` })).json as Parameters<typeof done>[0];
      if (done(view)) return view;
      if (Date.now() > deadline) assert.fail(`the fleet view never got there: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('a script saved in the folder reaches both workers; the fleet view shows both running it', async () => {
    writeFileSync(join(scriptsDir, 'worker-probe.js'), 'export function modifyPostResponse(response) { return { ...response, worker_probe: 1 }; }\n');
    await eventually((answer) => answer.status === 201 && answer.json.worker_probe === 1, () => fresh('POST', '/register', CLIENT));
    const view = await fleetUntil((current) => current.processes.filter((each) => each.scripts.some((script) => script.name === 'worker-probe' && script.state === 'active')).length === 2);
    assert.equal(view.agree.scripts, true);
    assert.deepEqual(view.processes.map((each) => each.role).sort(), ['leader', 'worker'], 'one runs the background jobs');
    assert.ok(!view.processes.some((each) => each.pid === child.pid), 'the supervisor serves nothing and reports nothing');
    rmSync(join(scriptsDir, 'worker-probe.js'));
    await eventually((answer) => answer.status === 201 && answer.json.worker_probe === undefined, () => fresh('POST', '/register', CLIENT));
  });

  it('a configuration change made through one worker is told to the other; with ?wait the answer comes once both have it', async () => {
    const patched = await new Promise<{ status: number; propagation: string | undefined }>((resolve, reject) => {
      const body = JSON.stringify([{ op: 'replace', path: '/dynamicRegistrationExpirationTime', value: 3600 }]);
      void adminAccessToken().then((token) => {
        const req = httpRequestRaw(`${url}/admin/config?wait=10`, { method: 'PATCH', agent: false, headers: { 'content-type': 'application/json-patch+json', authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, propagation: res.headers['registrar-propagation'] as string | undefined }));
        });
        req.on('error', reject);
        req.end(body);
      }, reject);
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.propagation, '2/2');
    // Every fresh connection, whichever worker takes it, registers under the new configuration at once.
    const answers = await registerMany(20);
    assert.equal(new Set(answers.map((answer) => answer.pid)).size, 2);
    for (const answer of answers) assert.ok(Number(answer.json.client_secret_expires_at) > 0, `worker ${answer.pid} had the change`);
  });

  it('gathers every worker\'s metrics at /metrics', async () => {
    const count = (text: string) => Number(/^registrar_registration_requests_total\{operation="create",outcome="ok"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    const start = count(await metricsText());
    const made = await registerMany(10);
    assert.equal(new Set(made.map((answer) => answer.pid)).size, 2);
    for (let i = 0; i < 5; i += 1) assert.equal(count(await metricsText()), start + 10, 'every scrape counts both workers\' registrations');
  });

  it('runs the reconciler in one worker when a configuration change connects an authorization server', { skip: !available('hydra') && 'Ory Hydra is not built (bash .ci/hydra.sh)' }, async () => {
    const hydra = await startHydra();
    const token = await adminAccessToken();
    const patch = (value: unknown) =>
      fresh('PATCH', '/admin/config', JSON.stringify([{ op: 'add', path: '/authorizationServer', value }]), {
        'content-type': 'application/json-patch+json',
        authorization: `Bearer ${token}`,
      });
    const runs = async () => {
      const text = await metricsText();
      return [...text.matchAll(/^registrar_authorization_server_sync_runs_total\{outcome="[^"]+"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    };
    try {
      const before = await runs();
      const patched = await patch({ type: 'hydra', adminUrl: hydra.adminUrl, issuer: hydra.issuer });
      assert.equal(patched.status, 200, JSON.stringify(patched.json));
      // Both workers take the change (one at once, the other within the refresh interval) and use the server.
      await eventually((answer) => answer.status === 201, () => fresh('POST', '/register', CLIENT));
      const deadline = Date.now() + 30_000;
      while ((await runs()) === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      // A second worker's run would have begun by now: the other took the change within the refresh interval.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(await runs(), before + 1, `one reconciler run for the change, not one per worker: ${log.split('\n').filter((line) => /reconcil|authorization server/.test(line)).join('\n')}`);
    } finally {
      assert.equal((await patch(null)).status, 200);
      await hydra.close();
      // Both workers have left the server before the next test.
      await eventually((answer) => answer.status === 201, () => fresh('POST', '/register', CLIENT));
    }
  });

  it('replaces a worker that dies, and keeps serving meanwhile; the replacement changes no configuration', async () => {
    const token = await adminAccessToken();
    const patched = await fresh('PATCH', '/admin/config', JSON.stringify([{ op: 'replace', path: '/decisionLogRetentionDays', value: 7 }]), {
      'content-type': 'application/json-patch+json',
      authorization: `Bearer ${token}`,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    const served = await registerMany(10);
    const victim = [...new Set(served.map((answer) => answer.pid))][0]!;
    process.kill(victim, 'SIGKILL');
    // Connections the kernel queued on the victim's socket before it closed are reset with it; later ones go to the survivor.
    await waitUntilGone(victim);
    const afterwards = await registerMany(10);
    assert.ok(afterwards.every((answer) => answer.status === 201), 'the other worker serves while one is replaced');
    const pids = await eventually((answer) => answer.status === 201, () => fresh('POST', '/register', CLIENT));
    assert.ok(!pids.has(victim), 'the dead worker is gone');
    assert.match(log, /a worker process ended; starting another/);
    assert.equal(child.exitCode, null, 'the supervisor runs on');
    // The replacement started with the same DCR_CONFIG, already applied: the administrator's change stands, in every worker.
    for (let i = 0; i < 10; i += 1) {
      const config = await fresh('GET', '/admin/config', undefined, { authorization: `Bearer ${token}` });
      assert.equal(config.json.decisionLogRetentionDays, 7, `worker ${config.pid}`);
    }
    const audit = await fresh('GET', '/admin/config/audit', undefined, { authorization: `Bearer ${token}` });
    assert.notEqual((audit.json.changes as Array<{ actor: string }>)[0]!.actor, 'DCR_CONFIG', 'nothing written back by the replacement');
    // The fleet view: two live workers again, the dead one shown gone once it has missed three reports.
    const view = await fleetUntil((current) => current.processes.length === 2 && current.stale.some((each) => each.pid === victim));
    assert.ok(!view.processes.some((each) => each.pid === victim));
    assert.equal(view.agree.configuration, true);
  });
});

describe('DCR_WORKERS at start', () => {
  it('stops the whole start, with the worker\'s reason, when a worker cannot start', async () => {
    const dir = tempDir();
    try {
      const child = spawn(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', join(ROOT, 'core/main.ts')], {
        env: { ...process.env, PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_WORKERS: '2', DCR_DATA_DIR: join(dir, 'data'), DCR_SCRIPTS_DIR: join(dir, 'missing'), DCR_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      const [code] = await once(child, 'exit');
      assert.equal(code, 1);
      assert.match(stderr, /DCR_SCRIPTS_DIR: .*missing cannot be read/);
      assert.match(stderr, /Registrar failed to start: a worker exited before listening/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
