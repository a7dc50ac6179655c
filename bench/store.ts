// Registrations per second on the embedded store and on MongoDB, in one run, driven by the same
// load generator (autocannon) against a Registrar process with no scripts. Runs alternate.
// Run: npm run bench:store   (MONGODB_URI, or FerretDB from .ci/ferretdb.sh)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startWireServer } from '../test/helpers/mongo.ts';
import { freePort, tempDir } from '../test/helpers/server.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MAIN = new URL('../core/main.ts', import.meta.url).pathname;
const BODY = JSON.stringify({ redirect_uris: ['https://client.example.org/cb'], client_name: 'Bench', grant_types: ['authorization_code', 'refresh_token'] });

async function startRegistrar(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = tempDir('registrar-bench-');
  mkdirSync(join(dir, 'scripts'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', MAIN], {
    env: { ...process.env, PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dir, DCR_SCRIPTS_DIR: join(dir, 'scripts'), DCR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('listening on') && resolve());
    child.once('exit', (code) => reject(new Error(`registrar exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, dir };
}

async function load(url: string): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/register`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    connections: CONNECTIONS,
    duration: DURATION,
  });
}

const wire = await startWireServer();
const targets: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'embedded (node:sqlite)', env: {} },
  { name: `MongoDB store on ${wire.name}`, env: { MONGODB_URI: wire.uri, DCR_MONGODB_DATABASE: wire.database } },
];
const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; errors: number }>();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const target of targets) {
      const server = await startRegistrar(target.env);
      const result = await load(server.url);
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
      rmSync(server.dir, { recursive: true, force: true });
      const entry = results.get(target.name) ?? { rps: [], p50: [], p99: [], errors: 0 };
      entry.rps.push(result.requests.average);
      entry.p50.push(result.latency.p50);
      entry.p99.push(result.latency.p99);
      entry.errors += result.errors + result.non2xx;
      results.set(target.name, entry);
    }
  }
} finally {
  await wire.close();
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const embedded = mean(results.get(targets[0]!.name)!.rps);
console.log(`POST /register, ${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} alternating rounds, no scripts (node ${process.version})`);
console.table(
  [...results].map(([store, r]) => ({
    store,
    'registrations/s': Math.round(mean(r.rps)),
    'p50 ms': +mean(r.p50).toFixed(1),
    'p99 ms': +mean(r.p99).toFixed(1),
    'non-201': r.errors,
    'vs embedded': +(mean(r.rps) / embedded).toFixed(2),
  })),
);
