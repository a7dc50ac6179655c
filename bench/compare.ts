// Registrar beside what users would deploy instead: the same load generator (autocannon), body,
// concurrency and duration against each server on loopback, runs alternating, each after a
// warm-up that is not counted, every figure the median of the rounds with the CPU time of each
// server's processes per request. The peer every
// ratio is taken to is node-oidc-provider on a durable SQLite adapter (bench/peer.ts); beside it in
// the registration scenarios: node-oidc-provider's memory adapter, the floor of this stack (Koa and
// one SQLite insert, bench/floor.ts), and the own registration endpoints of Ory Hydra (SQLite file)
// and Keycloak (file database, anonymous policies removed), each with the typical body and the
// Janssen page's request (with a jwks_uri whose host the address check resolves: with this
// machine's DNS, and with a resolver answering in 200 ms). Then: a registration every sample hook
// applies to, a read, two worker processes, the MongoDB store (FerretDB when built), Hydra
// connected, tracing off and on (Jaeger), each where its server is built; hot reload (file write
// -> first response from the new version, median and p95 over RELOADS saves) and the failed
// requests while reloading under load; the targets, met or not, each ratio taken round by round.
//   Run: npm run bench   (BENCH_SCENARIOS=a,b: only the scenarios whose name holds one of them;
//   BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_WARM_UP requests, BENCH_RELOADS)
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { available, startHydra, type Hydra } from '../test/helpers/authorizationServers.ts';
import { startDnsServer } from '../test/helpers/dns.ts';
import { jaegerBinary, startJaeger, type Jaeger } from '../test/helpers/jaeger.ts';
import { startWireServer, wireServerAvailable, type WireServer } from '../test/helpers/mongo.ts';
import { httpRequest, tempDir } from '../test/helpers/server.ts';
import { CONNECTIONS, DURATION, kept, postJson, ROUNDS, row, Samples, startFloor, startHydraRegistration, startKeycloakRegistration, startPeer, startRegistrar, stop, type Running, type Sample } from './harness.ts';
import { BODY, read, register, registerEveryHook, registerJanssen, type Load } from './loads.ts';

const RELOADS = Number(process.env.BENCH_RELOADS ?? 50);
const PEER = 'node-oidc-provider, SQLite adapter';
const SAMPLES = 'Registrar, 4 sample scripts';
const NO_SCRIPTS = 'Registrar, no scripts';
interface Run {
  label: string;
  start: () => Promise<Running>;
  load: Load;
}
const scenarios: Array<{ scenario: string; runs: Run[] }> = [];
const only = process.env.BENCH_SCENARIOS;
const wanted = (scenario: string) => !only || only.split(',').some((part) => scenario.includes(part.trim()));

// The servers started once for the whole bench (the slow starters), each only when a scenario that
// wants it is run and it is built.
const once: Array<() => Promise<void>> = [];
async function startedOnce(what: string, start: () => Promise<Running>): Promise<Running | undefined> {
  try {
    const server = await start();
    once.push(() => server.close());
    return server;
  } catch (err) {
    console.log(`${what} is left out: ${(err as Error).message}`);
    return undefined;
  }
}

// The Janssen page's request carries a jwks_uri whose host the address check resolves: with this
// machine's DNS (the name does not resolve), and with a local resolver that answers in 200 ms.
const slowDns = await startDnsServer();
slowDns.names.set('client.example.org', { addresses: ['93.184.216.34'], ttl: 60, delayMs: 200 });
const slowDnsConfig = join(tempDir('registrar-bench-dns-'), 'dns.json');
writeFileSync(slowDnsConfig, JSON.stringify({ dnsServers: [slowDns.address] }));

const REGISTER = 'register (typical body)';
const REGISTER_JANSSEN = "register (the Janssen page's request, with jwks_uri)";
const owned = wanted(REGISTER) || wanted(REGISTER_JANSSEN);
const hydraOwn = owned && available('hydra') ? await startedOnce("Ory Hydra's own registration", startHydraRegistration) : undefined;
const keycloakOwn = owned && available('keycloak') ? await startedOnce("Keycloak's own registration", startKeycloakRegistration) : undefined;
const others = (load: Load): Run[] => [
  { label: 'node-oidc-provider, memory adapter', start: () => startPeer('memory'), load },
  { label: PEER, start: () => startPeer('sqlite'), load },
  { label: 'floor (Koa + one SQLite insert)', start: startFloor, load },
  ...(hydraOwn ? [{ label: "Ory Hydra's own /oauth2/register (SQLite file)", start: async () => kept(hydraOwn), load }] : []),
  ...(keycloakOwn ? [{ label: "Keycloak's own registration endpoint (file database)", start: async () => kept(keycloakOwn), load }] : []),
];
scenarios.push(
  {
    scenario: REGISTER,
    runs: [{ label: SAMPLES, start: () => startRegistrar('samples'), load: register }, { label: NO_SCRIPTS, start: () => startRegistrar('none'), load: register }, ...others(register)],
  },
  {
    scenario: REGISTER_JANSSEN,
    runs: [
      { label: SAMPLES, start: () => startRegistrar('samples'), load: registerJanssen },
      { label: NO_SCRIPTS, start: () => startRegistrar('none'), load: registerJanssen },
      { label: `${NO_SCRIPTS}, a resolver answering in 200 ms`, start: () => startRegistrar('none', { DCR_CONFIG: slowDnsConfig }), load: registerJanssen },
      ...others(registerJanssen),
    ],
  },
  {
    scenario: 'register (every sample hook applies)',
    runs: [
      { label: SAMPLES, start: () => startRegistrar('samples'), load: registerEveryHook },
      { label: NO_SCRIPTS, start: () => startRegistrar('none'), load: registerEveryHook },
      { label: PEER, start: () => startPeer(), load: registerEveryHook },
    ],
  },
  {
    scenario: 'read a registered client',
    runs: [
      { label: SAMPLES, start: () => startRegistrar('samples'), load: read },
      { label: 'node-oidc-provider, memory adapter', start: () => startPeer('memory'), load: read },
      { label: PEER, start: () => startPeer(), load: read },
    ],
  },
);

const TWO_WORKERS = { DCR_WORKERS: '2' };
scenarios.push(
  {
    scenario: 'register (typical body), 2 worker processes',
    runs: [
      { label: `${SAMPLES}, 1 worker`, start: () => startRegistrar('samples'), load: register },
      { label: `${SAMPLES}, 2 workers`, start: () => startRegistrar('samples', TWO_WORKERS), load: register },
      { label: PEER, start: () => startPeer(), load: register },
    ],
  },
  {
    scenario: 'read a registered client, 2 worker processes',
    runs: [
      { label: `${SAMPLES}, 1 worker`, start: () => startRegistrar('samples'), load: read },
      { label: `${SAMPLES}, 2 workers`, start: () => startRegistrar('samples', TWO_WORKERS), load: read },
      { label: PEER, start: () => startPeer(), load: read },
    ],
  },
);

// A MongoDB wire server, when one can be had: one server for every run, a database per run.
let wire: WireServer | undefined;
if (wanted('MongoDB store') && wireServerAvailable()) {
  wire = await startWireServer();
  let databases = 0;
  const onMongo = async () => ({
    ...(await startRegistrar('samples', { MONGODB_URI: wire!.uri, DCR_MONGODB_DATABASE: `${wire!.database}_${(databases += 1)}`, DCR_ENCRYPTION_KEY: 'b'.repeat(64) })),
    companion: () => wire?.pid?.(),
  });
  scenarios.push(
    {
      scenario: `register (typical body), MongoDB store (${wire.name})`,
      runs: [
        { label: `${SAMPLES}, embedded store`, start: () => startRegistrar('samples'), load: register },
        { label: `${SAMPLES}, MongoDB store`, start: onMongo, load: register },
        { label: PEER, start: () => startPeer(), load: register },
      ],
    },
    {
      scenario: `read a registered client, MongoDB store (${wire.name})`,
      runs: [
        { label: `${SAMPLES}, embedded store`, start: () => startRegistrar('samples'), load: read },
        { label: `${SAMPLES}, MongoDB store`, start: onMongo, load: read },
        { label: PEER, start: () => startPeer(), load: read },
      ],
    },
  );
} else {
  console.log('No MongoDB wire server (MONGODB_URI, or bash .ci/ferretdb.sh): the MongoDB store scenarios are left out.');
}

// Ory Hydra, when built (bash .ci/hydra.sh): one process for every run, clients kept in memory.
let hydra: Hydra | undefined;
const hydraConfig = join(tempDir('registrar-bench-hydra-'), 'hydra.json');
if (wanted('Hydra connected') && available('hydra')) {
  hydra = await startHydra();
  writeFileSync(hydraConfig, JSON.stringify({ authorizationServer: { type: 'hydra', adminUrl: hydra.adminUrl, issuer: hydra.issuer } }));
  const withHydra = async () => ({ ...(await startRegistrar('none', { DCR_CONFIG: hydraConfig })), companion: () => hydra?.pid() });
  scenarios.push({
    scenario: 'register, Hydra connected',
    runs: [
      { label: NO_SCRIPTS, start: () => startRegistrar('none'), load: register },
      { label: `${NO_SCRIPTS}, Hydra`, start: withHydra, load: register },
      { label: PEER, start: () => startPeer(), load: register },
    ],
  });
} else {
  console.log('Ory Hydra is not built (bash .ci/hydra.sh): the scenario with Hydra connected is left out.');
}

// Tracing on, exporting every span to Jaeger (when built: bash .ci/jaeger.sh), beside tracing off:
// one receiver for every run, its CPU time reported beside Registrar's.
let jaeger: Jaeger | undefined;
if (wanted('tracing') && jaegerBinary()) {
  jaeger = await startJaeger();
  const traced = (scripts: 'none' | 'samples', env: Record<string, string> = {}) => async () => ({
    ...(await startRegistrar(scripts, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: jaeger!.otlpEndpoint })),
    companion: () => jaeger?.pid(),
  });
  scenarios.push({
    scenario: 'register (typical body), tracing',
    runs: [
      { label: `${SAMPLES}, tracing off`, start: () => startRegistrar('samples'), load: register },
      { label: `${SAMPLES}, tracing on (to Jaeger)`, start: traced('samples'), load: register },
      { label: PEER, start: () => startPeer(), load: register },
    ],
  });
  if (hydra) {
    scenarios.push({
      scenario: 'register, Hydra connected, tracing',
      runs: [
        { label: `${NO_SCRIPTS}, Hydra, tracing off`, start: async () => ({ ...(await startRegistrar('none', { DCR_CONFIG: hydraConfig })), companion: () => hydra?.pid() }), load: register },
        { label: `${NO_SCRIPTS}, Hydra, tracing on (to Jaeger)`, start: traced('none', { DCR_CONFIG: hydraConfig }), load: register },
        { label: PEER, start: () => startPeer(), load: register },
      ],
    });
  }
} else {
  console.log('Jaeger is not built (bash .ci/jaeger.sh): the scenarios with tracing on are left out.');
}

scenarios.splice(0, scenarios.length, ...scenarios.filter(({ scenario }) => wanted(scenario)));

const samples = new Samples();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const { scenario, runs } of scenarios) {
    // Alternate the order every round so neither side always runs first.
    for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
      const server = await run.start();
      try {
        samples.add(`${scenario}|${run.label}`, await run.load(server));
      } finally {
        await stop(server);
      }
    }
  }
}
for (const close of once) await close();
await hydra?.close();
await jaeger?.close();
await wire?.close();
await slowDns.close();
if (ROUNDS > 0) {
  console.log(`${CONNECTIONS} connections, ${DURATION} s per run, median of ${ROUNDS} alternating rounds, loopback (node ${process.version})`);
  console.table(
    scenarios.flatMap(({ scenario, runs }) =>
      runs.map((run) => {
        const sample = samples.median(`${scenario}|${run.label}`);
        const peer = samples.median(`${scenario}|${PEER}`);
        // Both ratios read "times better than the peer": throughput over the peer's, the peer's CPU per request over this server's.
        return { scenario, server: run.label, ...row(sample), 'req/s vs peer': +(sample.rps / peer.rps).toFixed(2), 'CPU vs peer': +(peer.cpuMs / sample.cpuMs).toFixed(2) };
      }),
    ),
  );
}

// --- Hot reload: latency, and failed requests while reloading under load.
const reloadDir = tempDir('registrar-reload-');
const scriptFile = join(reloadDir, 'probe.js');
const probe = (version: number) => `export function modifyPostResponse(response) { response.probe_version = ${version}; return true; }\n`;
writeFileSync(scriptFile, probe(0));
const server = await startRegistrar(reloadDir);
const latencies: number[] = [];
const failures = new Map<string, number>();
const fail = (kind: string) => failures.set(kind, (failures.get(kind) ?? 0) + 1);
let loadRequests = 0;
try {
  let measuring = true;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const background = autocannon({ ...postJson(server.registration, BODY), connections: 4, duration: 3600 }, () => finished());
  background.on('response', (_client: unknown, statusCode: number) => {
    if (!measuring) return;
    loadRequests += 1;
    if (statusCode !== 201) fail(`HTTP ${statusCode}`);
  });
  background.on('reqError', (err: Error) => measuring && fail(err.message));
  for (let version = 1; version <= RELOADS; version += 1) {
    const written = performance.now();
    writeFileSync(scriptFile, probe(version));
    for (;;) {
      const response = await httpRequest(server.registration, 'POST', { json: JSON.parse(BODY) });
      if (response.status !== 201) fail(`HTTP ${response.status}`);
      if (response.json?.probe_version === version) break;
    }
    latencies.push(performance.now() - written);
  }
  // Stop counting before the load generator is stopped and the server goes away.
  measuring = false;
  background.stop();
  await done;
} finally {
  await stop(server);
  rmSync(reloadDir, { recursive: true, force: true });
}
latencies.sort((a, b) => a - b);
const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
const at95 = () => quantile(0.95);
console.log(`Hot reload: ${RELOADS} saves of a script while registrations run (4 connections)`);
console.table([
  {
    'median ms (write -> new version served)': +quantile(0.5).toFixed(1),
    'p95 ms': +quantile(0.95).toFixed(1),
    'max ms': +quantile(1).toFixed(1),
    'requests during reloads': loadRequests,
    failed: [...failures.values()].reduce((a, b) => a + b, 0),
  },
]);
if (failures.size) console.log('failures:', Object.fromEntries(failures));

// --- The targets of the performance issue, from the medians above: each ratio, and whether it is met.
if (ROUNDS > 0) {
  const at = (scenario: string, label: string) => samples.median(`${scenario}|${label}`);
  // Every ratio below is taken round by round (the runs of one round ran within minutes of each other), then its median.
  const ratio = (a: [string, string], b: [string, string], pick: (sample: Sample) => number) => samples.ratio(`${a[0]}|${a[1]}`, `${b[0]}|${b[1]}`, pick);
  const rps = (sample: Sample) => sample.rps;
  const cpu = (sample: Sample) => sample.cpuMs;
  const EVERY = 'register (every sample hook applies)';
  const READ = 'read a registered client';
  const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'not run');
  const target = (what: string, value: number, goal: string, met: boolean) => ({ target: what, 'this run': fixed(value), goal, met: Number.isFinite(value) ? (met ? 'yes' : 'no') : '-' });
  const atLeast = (what: string, value: number, goal: number) => target(what, value, `≥ ${goal}`, value >= goal);
  const atMost = (what: string, value: number, goal: number) => target(what, value, `≤ ${goal}`, value <= goal);
  const peer = (scenario: string): [string, string] => [scenario, PEER];
  const hydraLabel = "Ory Hydra's own /oauth2/register (SQLite file)";
  const keycloakLabel = "Keycloak's own registration endpoint (file database)";
  const rows = [
    atLeast("Janssen page's request / typical body, req/s, 4 samples", ratio([REGISTER_JANSSEN, SAMPLES], [REGISTER, SAMPLES], rps), 0.9),
    atLeast("Janssen page's request / typical body, req/s, no scripts", ratio([REGISTER_JANSSEN, NO_SCRIPTS], [REGISTER, NO_SCRIPTS], rps), 0.9),
    atLeast("Janssen page's request with a slow resolver / typical body, req/s", ratio([REGISTER_JANSSEN, `${NO_SCRIPTS}, a resolver answering in 200 ms`], [REGISTER, NO_SCRIPTS], rps), 0.9),
    atLeast('4 samples vs the peer on SQLite, req/s', ratio([REGISTER, SAMPLES], peer(REGISTER), rps), 1.5),
    atLeast('4 samples vs the peer on SQLite, CPU (peer / Registrar)', ratio(peer(REGISTER), [REGISTER, SAMPLES], cpu), 1.5),
    atLeast("4 samples vs Hydra's own registration, req/s", ratio([REGISTER, SAMPLES], [REGISTER, hydraLabel], rps), 10),
    atLeast("4 samples vs Keycloak's own registration, req/s", ratio([REGISTER, SAMPLES], [REGISTER, keycloakLabel], rps), 10),
    atMost('cost of policy: CPU with 4 samples / no scripts, typical body', ratio([REGISTER, SAMPLES], [REGISTER, NO_SCRIPTS], cpu), 1.15),
    atMost('cost of policy: CPU with 4 samples / no scripts, every sample hook applies', ratio([EVERY, SAMPLES], [EVERY, NO_SCRIPTS], cpu), 1.5),
    atMost('no scripts / the floor, CPU', ratio([REGISTER, NO_SCRIPTS], [REGISTER, 'floor (Koa + one SQLite insert)'], cpu), 1.5),
    atLeast('reads vs the peer on SQLite, req/s', ratio([READ, SAMPLES], peer(READ), rps), 1.5),
    atLeast('reads vs the peer on SQLite, CPU (peer / Registrar)', ratio(peer(READ), [READ, SAMPLES], cpu), 1.5),
    ...[REGISTER, REGISTER_JANSSEN, EVERY, READ].map((scenario) => atMost(`p99, 4 samples / the peer's: ${scenario}`, at(scenario, SAMPLES).p99 / at(scenario, PEER).p99, 1)),
    atMost('failed requests, every scenario', scenarios.reduce((sum, { scenario, runs }) => sum + runs.reduce((n, run) => n + at(scenario, run.label).failed, 0), 0), 0),
    atMost('hot reload p95 ms', latencies.length ? at95() : Number.NaN, 150),
    atMost('failed requests while reloading', [...failures.values()].reduce((a, b) => a + b, 0), 0),
  ];
  console.log('Targets (each ratio the median of the rounds\' ratios)');
  console.table(rows);
}
