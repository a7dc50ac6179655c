// Registrations per second for a signed request (ES256, application/jwt) carrying a software
// statement (PS256, builtin validation), against a plain JSON registration, in one run, on the
// embedded store with no scripts. Runs alternate. Run: npm run bench:signed
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { jwksOf, signWith, testKey } from '../test/helpers/keys.ts';
import { freePort, tempDir } from '../test/helpers/server.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MAIN = new URL('../core/main.ts', import.meta.url).pathname;

const directory = await testKey('PS256', 'directory');
const tpp = await testKey('ES256', 'tpp');
const redirect = 'https://tpp.example/cb';
const statement = await signWith(
  { iss: 'Directory', software_id: 'sw-bench', software_redirect_uris: [redirect], software_jwks: jwksOf(tpp) },
  directory,
);
const signed = await signWith(
  { iss: 'sw-bench', redirect_uris: [redirect], token_endpoint_auth_method: 'private_key_jwt', jwks: jwksOf(tpp), software_statement: statement },
  tpp,
  { exp: Math.floor(Date.now() / 1000) + 3600 },
);
const plain = JSON.stringify({ redirect_uris: [redirect], client_name: 'Bench', software_id: 'sw-bench' });

const dir = tempDir('registrar-bench-');
const config = join(dir, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    dcrSignatureValidationEnabled: true,
    softwareStatementValidationType: 'builtin',
    dcrSsaValidationConfigs: [{ id: 'dir', type: 'SSA', issuers: ['Directory'], jwks: jwksOf(directory) }],
    dcrSignatureValidationSoftwareStatementJwksClaim: 'software_jwks',
  }),
);
mkdirSync(join(dir, 'scripts'));
const port = await freePort();
const child: ChildProcess = spawn(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', MAIN], {
  env: { ...process.env, PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dir, DCR_SCRIPTS_DIR: join(dir, 'scripts'), DCR_CONFIG: config, DCR_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  child.stdout!.on('data', (chunk) => String(chunk).includes('listening on') && resolve());
  child.once('exit', (code) => reject(new Error(`registrar exited with ${code}`)));
});

const scenarios = [
  { name: 'plain JSON registration', contentType: 'application/json', body: plain },
  { name: 'signed request (ES256) + software statement (PS256)', contentType: 'application/jwt', body: signed },
];
const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; errors: number }>();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const scenario of scenarios) {
      const result = await autocannon({
        url: `http://127.0.0.1:${port}/register`,
        method: 'POST',
        headers: { 'content-type': scenario.contentType },
        body: scenario.body,
        connections: CONNECTIONS,
        duration: DURATION,
      });
      const entry = results.get(scenario.name) ?? { rps: [], p50: [], p99: [], errors: 0 };
      entry.rps.push(result.requests.average);
      entry.p50.push(result.latency.p50);
      entry.p99.push(result.latency.p99);
      entry.errors += result.errors + result.non2xx;
      results.set(scenario.name, entry);
    }
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const baseline = mean(results.get(scenarios[0]!.name)!.rps);
console.log(`POST /register, embedded store, ${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} alternating rounds (node ${process.version})`);
console.table(
  [...results].map(([scenario, r]) => ({
    scenario,
    'registrations/s': Math.round(mean(r.rps)),
    'p50 ms': +mean(r.p50).toFixed(1),
    'p99 ms': +mean(r.p99).toFixed(1),
    'non-201': r.errors,
    'vs plain': +(mean(r.rps) / baseline).toFixed(2),
  })),
);
