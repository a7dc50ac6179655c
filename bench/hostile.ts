// One hostile script present, one kind of hostility at a time: the throughput of ordinary
// registrations while another script, on its own registrations (2 connections of them), runs away,
// hangs, floods a plugin, returns a result built to exhaust the host, or exhausts its heap. Beside
// each, in the same round, the same server with the same scripts and no attack. Reported per
// scenario: ordinary req/s and its ratio to that baseline, the server's CPU time per ordinary
// registration (hostile work included), the worst /health/live answer during the run, and the
// server's peak RSS (VmHWM).   Run: npm run bench:hostile   (BENCH_SCENARIOS=flood selects)
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { enableSample, SAMPLES } from '../test/helpers/scripts.ts';
import { tempDir } from '../test/helpers/server.ts';
import { CONNECTIONS, drive, DURATION, postJson, ROOT, ROUNDS, row, Samples, startRegistrar, stop, type Running } from './harness.ts';

const ORDINARY = JSON.stringify({ redirect_uris: ['https://client.example.org/cb'], client_name: 'Ordinary', token_endpoint_auth_method: 'client_secret_basic' });
const ATTACK = JSON.stringify({ ...JSON.parse(ORDINARY), client_name: 'attack' });

/** The body of createClient for registrations named "attack", by scenario. */
const SCENARIOS: Record<string, string> = {
  'mixed (runaway, hang, jwks, log, directory)': `
    turn += 1;
    switch (turn % 5) {
      case 0: for (;;) {}
      case 1: await new Promise(() => {});
      case 2: for (let i = 0; i < 2000; i += 1) host.jwks.get('https://keys.invalid/' + context.requestId + '/' + i).catch(() => {}); return true;
      case 3: await host.log.info('x'.repeat(5 * 1024 * 1024)); return true;
      default: return host.directory.validateChain('x', '-----BEGIN CERTIFICATE-----'.repeat(9000));
    }`,
  'runaway loop': `for (;;) {}`,
  'jwks.get flood (100,000 calls)': `for (let i = 0; i < 100000; i += 1) host.jwks.get('https://keys.invalid/' + context.requestId + '/' + i).catch(() => {}); return true;`,
  'log.info flood (1,000,000 calls)': `for (let i = 0; i < 1000000; i += 1) host.log.info('flood ' + i).catch(() => {}); return true;`,
  'cache.set loop': `for (let i = 0; ; i += 1) await host.cache.set(context.requestId + i, 'x'.repeat(1000));`,
  'clients.find loop': `for (;;) await host.clients.find({ softwareId: 'nothing' });`,
  'result of 25 MB': `return { client_name: 'x'.repeat(25 * 1024 * 1024) };`,
  'result 1,000,000 levels deep': `let deep = {}; const top = deep; for (let i = 0; i < 1000000; i += 1) deep = deep.next = {}; return { software_statement_extra: top };`,
  '200,000 redirect URIs': `context.client.redirect_uris = Array.from({ length: 200000 }, (_, i) => 'https://client.example.org/cb/' + i); return true;`,
  'heap exhausted': `const keep = []; for (;;) keep.push(new Array(1000000).fill(keep.length));`,
};

function scriptsWith(body: string): string {
  const dir = join(tempDir('registrar-hostile-'), 'scripts');
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'scripts'), dir, { recursive: true });
  for (const name of SAMPLES) enableSample(dir, name);
  writeFileSync(
    join(dir, 'hostile.js'),
    `export const match = { createClient: { properties: { request: { properties: { client_name: { const: 'attack' } }, required: ['client_name'] } } } };
let turn = 0;
export async function createClient(context) {
${body}
}`,
  );
  writeFileSync(join(dir, 'hostile.json'), JSON.stringify({ timeoutMs: 200, plugins: { jwks: {}, log: {}, cache: {}, clients: {}, directory: { trustAnchors: '-' } } }));
  return dir;
}

/** The slowest /health/live answer while `during` runs, polled every 50 ms. */
async function worstLive(server: Running, during: Promise<unknown>): Promise<number> {
  let worst = 0;
  let done = false;
  void during.finally(() => (done = true));
  while (!done) {
    const started = performance.now();
    await fetch(`${server.url}/health/live`).then((response) => response.arrayBuffer()).catch(() => undefined);
    worst = Math.max(worst, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return worst;
}

/** The process's peak resident set (VmHWM), in MB. */
function peakRssMb(server: Running): number {
  const status = readFileSync(`/proc/${server.pid()}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024);
}

const only = process.env.BENCH_SCENARIOS;
const scenarios = Object.keys(SCENARIOS).filter((name) => !only || only.split(',').some((part) => name.includes(part.trim())));
const samples = new Samples();
const extra = new Map<string, { live: number[]; rss: number[]; attacks: number; refused: number }>();
const note = (label: string) => extra.get(label) ?? extra.set(label, { live: [], rss: [], attacks: 0, refused: 0 }).get(label)!;

for (let round = 0; round < ROUNDS; round += 1) {
  const order = ['baseline', ...scenarios];
  // Rotated each round, so no scenario always runs on a machine warmed (or tired) by the same neighbour.
  for (const label of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
    const server = await startRegistrar(scriptsWith(label === 'baseline' ? 'return true;' : SCENARIOS[label]!));
    try {
      const seen = note(label);
      let attacker: autocannon.Instance | undefined;
      if (label !== 'baseline') {
        attacker = autocannon({ ...postJson(server.registration, ATTACK), connections: 2, duration: DURATION + 5 }, () => {});
        attacker.on('response', (_client: unknown, status: number) => {
          seen.attacks += 1;
          if (status !== 201) seen.refused += 1;
        });
      }
      const load = drive(server, { ...postJson(server.registration, ORDINARY), connections: CONNECTIONS - 2 });
      seen.live.push(await worstLive(server, load));
      samples.add(label, await load);
      seen.rss.push(peakRssMb(server));
      attacker?.stop();
    } finally {
      await stop(server);
    }
  }
}

const worst = (values: number[]) => Math.max(...values);
const baseline = samples.median('baseline');
console.log(
  `Ordinary registrations, ${CONNECTIONS - 2} connections, ${DURATION} s per run, ${ROUNDS} rounds; each hostile run adds 2 connections of attack registrations that only the hostile script sees (node ${process.version})`,
);
console.table(
  ['baseline', ...scenarios].map((label) => {
    const sample = samples.median(label);
    const seen = note(label);
    return {
      'hostile script': label === 'baseline' ? 'none (samples only)' : label,
      ...row(sample),
      'vs baseline': +(sample.rps / baseline.rps).toFixed(2),
      'worst live ms': Math.round(worst(seen.live)),
      'peak RSS MB': worst(seen.rss),
      'attacks refused': label === 'baseline' ? '' : `${seen.refused}/${seen.attacks}`,
    };
  }),
);
