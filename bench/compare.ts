// Registrar side by side with node-oidc-provider: the same load generator (autocannon), body,
// concurrency and duration against each server on loopback, runs alternating. Scenarios:
// a typical registration with no scripts; the same with the four sample scripts active; a read
// of a registered client. Then Registrar's hot-reload latency (file write -> first response
// served by the new version; median and p95 over RELOADS reloads) and the failed requests
// while reloading under load.   Run: npm run bench
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, httpRequest, tempDir } from '../test/helpers/server.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const RELOADS = Number(process.env.BENCH_RELOADS ?? 50);
const ROOT = new URL('..', import.meta.url).pathname;
const NODE_FLAGS = ['--no-node-snapshot', '--disable-warning=ExperimentalWarning'];

const BODY = JSON.stringify({
  redirect_uris: ['https://client.example.org/cb'],
  client_name: 'My Example',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'openid',
});

interface Running {
  name: string;
  url: string;
  registration: string;
  child: ChildProcess;
  dir: string;
}

async function waitForLine(child: ChildProcess, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes(text) && resolve());
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

async function startRegistrar(name: string, scripts: 'none' | 'samples' | string): Promise<Running> {
  const dir = tempDir('registrar-bench-');
  const scriptsDir = scripts === 'none' || scripts === 'samples' ? join(dir, 'scripts') : scripts;
  if (scripts === 'none') mkdirSync(scriptsDir);
  if (scripts === 'samples') cpSync(join(ROOT, 'scripts'), scriptsDir, { recursive: true });
  const port = await freePort();
  const child = spawn(process.execPath, [...NODE_FLAGS, join(ROOT, 'core/main.ts')], {
    env: { ...process.env, PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dir, DCR_SCRIPTS_DIR: scriptsDir, DCR_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, 'listening on');
  const url = `http://127.0.0.1:${port}`;
  return { name, url, registration: `${url}/register`, child, dir };
}

async function startPeer(): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bench/peer.ts'), String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  await waitForLine(child, 'listening on');
  const url = `http://127.0.0.1:${port}`;
  return { name: 'node-oidc-provider', url, registration: `${url}/reg`, child, dir: '' };
}

async function stop(server: Running): Promise<void> {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  if (server.dir) rmSync(server.dir, { recursive: true, force: true });
}

async function drive(options: autocannon.Options): Promise<{ rps: number; p50: number; p99: number; failed: number }> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, failed: result.errors + result.non2xx };
}

const register = (server: Running) =>
  drive({ url: server.registration, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });

async function read(server: Running) {
  const created = await httpRequest(server.registration, 'POST', { json: JSON.parse(BODY) });
  if (created.status !== 201) throw new Error(`${server.name}: registration failed ${created.status} ${created.text}`);
  return drive({ url: created.json.registration_client_uri, method: 'GET', headers: { authorization: `Bearer ${created.json.registration_access_token}` } });
}

type Sample = Awaited<ReturnType<typeof drive>>;
const samples = new Map<string, Sample[]>();
const record = (key: string, sample: Sample) => samples.set(key, [...(samples.get(key) ?? []), sample]);

const scenarios: Array<{ scenario: string; runs: Array<{ label: string; start: () => Promise<Running>; load: (s: Running) => Promise<Sample> }> }> = [
  {
    scenario: 'register (typical body)',
    runs: [
      { label: 'Registrar, no scripts', start: () => startRegistrar('Registrar', 'none'), load: register },
      { label: 'Registrar, 4 sample scripts', start: () => startRegistrar('Registrar', 'samples'), load: register },
      { label: 'node-oidc-provider', start: startPeer, load: register },
    ],
  },
  {
    scenario: 'read a registered client',
    runs: [
      { label: 'Registrar, 4 sample scripts', start: () => startRegistrar('Registrar', 'samples'), load: read },
      { label: 'node-oidc-provider', start: startPeer, load: read },
    ],
  },
];

for (let round = 0; round < ROUNDS; round += 1) {
  for (const { scenario, runs } of scenarios) {
    // Alternate the order every round so neither side always runs first.
    for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
      const server = await run.start();
      try {
        record(`${scenario}|${run.label}`, await run.load(server));
      } finally {
        await stop(server);
      }
    }
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const summary = (key: string) => {
  const runs = samples.get(key)!;
  return { rps: mean(runs.map((r) => r.rps)), p50: mean(runs.map((r) => r.p50)), p99: mean(runs.map((r) => r.p99)), failed: runs.reduce((a, r) => a + r.failed, 0) };
};
const rows = [];
for (const { scenario, runs } of ROUNDS > 0 ? scenarios : []) {
  const peer = summary(`${scenario}|node-oidc-provider`);
  for (const run of runs) {
    const s = summary(`${scenario}|${run.label}`);
    rows.push({
      scenario,
      server: run.label,
      'req/s': Math.round(s.rps),
      'p50 ms': +s.p50.toFixed(1),
      'p99 ms': +s.p99.toFixed(1),
      failed: s.failed,
      'ratio vs peer': +(s.rps / peer.rps).toFixed(2),
    });
  }
}
if (rows.length) {
  console.log(`${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} alternating rounds, loopback (node ${process.version})`);
  console.table(rows);
}

// --- Hot reload: latency and failures under load.
const reloadDir = tempDir('registrar-reload-');
const scriptFile = join(reloadDir, 'probe.js');
const probe = (version: number) => `export function modifyPostResponse(response) { response.probe_version = ${version}; return true; }\n`;
writeFileSync(scriptFile, probe(0));
const server = await startRegistrar('Registrar', reloadDir);
const latencies: number[] = [];
let loadFailed = 0;
const statuses = new Map<number, number>();
const errorKinds = new Map<string, number>();
let loadRequests = 0;
try {
  let measuring = true;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const background = autocannon(
    { url: server.registration, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections: 4, duration: 3600 },
    () => finished(),
  );
  background.on('response', (_client: unknown, statusCode: number) => {
    if (!measuring) return;
    loadRequests += 1;
    if (statusCode !== 201) {
      loadFailed += 1;
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    }
  });
  background.on('reqError', (err: Error) => {
    if (!measuring) return;
    loadFailed += 1;
    const key = `error: ${err.message}`;
    errorKinds.set(key, (errorKinds.get(key) ?? 0) + 1);
  });
  for (let version = 1; version <= RELOADS; version += 1) {
    const written = performance.now();
    writeFileSync(scriptFile, probe(version));
    for (;;) {
      const response = await httpRequest(server.registration, 'POST', { json: JSON.parse(BODY) });
      if (response.status !== 201) {
        loadFailed += 1;
        console.log('probe request failed', response.status, response.text.slice(0, 200));
      }
      if (response.json?.probe_version === version) break;
    }
    latencies.push(performance.now() - written);
  }
  measuring = false;
  background.stop();
  await done;
} finally {
  await stop(server);
  rmSync(reloadDir, { recursive: true, force: true });
}
if (statuses.size) console.log('non-201 statuses during reloads:', Object.fromEntries(statuses));
if (errorKinds.size) console.log('request errors during reloads:', Object.fromEntries(errorKinds));
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
console.log(`Hot reload: ${RELOADS} saves of a script while registrations run (4 connections)`);
console.table([
  {
    'median ms (write -> new version served)': +at(0.5).toFixed(1),
    'p95 ms': +at(0.95).toFixed(1),
    'max ms': +at(1).toFixed(1),
    'requests during reloads': loadRequests,
    failed: loadFailed,
  },
]);
