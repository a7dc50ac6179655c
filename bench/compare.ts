// Registrar side by side with node-oidc-provider: the same load generator (autocannon), body,
// concurrency and duration against each server on loopback, runs alternating. Scenarios:
// a typical registration with no scripts; the same with the four sample scripts active; a
// registration every sample hook applies to; a read of a registered client; the same typical
// registration and read with two worker processes (DCR_WORKERS=2) and on the MongoDB store (a
// wire server: MONGODB_URI, or FerretDB when built; its CPU time reported beside Registrar's); a
// typical registration with Ory Hydra connected (each client created at Hydra in the request;
// Hydra's CPU time per request reported beside Registrar's); the Janssen page's request (with a
// jwks_uri the address check resolves) with this machine's DNS and with a resolver answering in
// 200 ms; tracing off and on (every span exported to Jaeger, when built). Then Registrar's hot-reload latency (file write -> first response served by the new
// version; median and p95 over RELOADS reloads) and the failed requests while reloading under
// load.   Run: npm run bench   (BENCH_SCENARIOS=text: only the scenarios whose name holds it)
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { available, startHydra, type Hydra } from '../test/helpers/authorizationServers.ts';
import { startDnsServer } from '../test/helpers/dns.ts';
import { jaegerBinary, startJaeger, type Jaeger } from '../test/helpers/jaeger.ts';
import { startWireServer, wireServerAvailable, type WireServer } from '../test/helpers/mongo.ts';
import { httpRequest, tempDir } from '../test/helpers/server.ts';
import { CONNECTIONS, DURATION, postJson, ROUNDS, row, Samples, startPeer, startRegistrar, stop, type Running, type Sample } from './harness.ts';
import { BODY, read, register, registerEveryHook, registerJanssen } from './loads.ts';

const RELOADS = Number(process.env.BENCH_RELOADS ?? 50);
const PEER = 'node-oidc-provider';
const scenarios: Array<{ scenario: string; runs: Array<{ label: string; start: () => Promise<Running>; load: (s: Running) => Promise<Sample> }> }> = [
  {
    scenario: 'register (typical body)',
    runs: [
      { label: 'Registrar, no scripts', start: () => startRegistrar('none'), load: register },
      { label: 'Registrar, 4 sample scripts', start: () => startRegistrar('samples'), load: register },
      { label: PEER, start: startPeer, load: register },
    ],
  },
  {
    scenario: 'register (every sample hook applies)',
    runs: [
      { label: 'Registrar, 4 sample scripts', start: () => startRegistrar('samples'), load: registerEveryHook },
      { label: PEER, start: startPeer, load: registerEveryHook },
    ],
  },
  {
    scenario: 'read a registered client',
    runs: [
      { label: 'Registrar, 4 sample scripts', start: () => startRegistrar('samples'), load: read },
      { label: PEER, start: startPeer, load: read },
    ],
  },
];

// The Janssen page's request carries a jwks_uri whose host the address check resolves: with this
// machine's DNS (the name does not resolve), and with a local resolver that answers in 200 ms.
const slowDns = await startDnsServer();
slowDns.names.set('client.example.org', { addresses: ['93.184.216.34'], ttl: 60, delayMs: 200 });
const slowDnsConfig = join(tempDir('registrar-bench-dns-'), 'dns.json');
writeFileSync(slowDnsConfig, JSON.stringify({ dnsServers: [slowDns.address] }));
scenarios.push({
  scenario: "register (the Janssen page's request, with jwks_uri)",
  runs: [
    { label: 'Registrar, no scripts, typical body', start: () => startRegistrar('none'), load: register },
    { label: "Registrar, no scripts, this machine's DNS", start: () => startRegistrar('none'), load: registerJanssen },
    { label: 'Registrar, no scripts, a resolver answering in 200 ms', start: () => startRegistrar('none', { DCR_CONFIG: slowDnsConfig }), load: registerJanssen },
    { label: PEER, start: startPeer, load: registerJanssen },
  ],
});

const TWO_WORKERS = { DCR_WORKERS: '2' };
scenarios.push(
  {
    scenario: 'register (typical body), 2 worker processes',
    runs: [
      { label: 'Registrar, 4 sample scripts, 1 worker', start: () => startRegistrar('samples'), load: register },
      { label: 'Registrar, 4 sample scripts, 2 workers', start: () => startRegistrar('samples', TWO_WORKERS), load: register },
      { label: PEER, start: startPeer, load: register },
    ],
  },
  {
    scenario: 'read a registered client, 2 worker processes',
    runs: [
      { label: 'Registrar, 4 sample scripts, 1 worker', start: () => startRegistrar('samples'), load: read },
      { label: 'Registrar, 4 sample scripts, 2 workers', start: () => startRegistrar('samples', TWO_WORKERS), load: read },
      { label: PEER, start: startPeer, load: read },
    ],
  },
);

// A MongoDB wire server, when one can be had: one server for every run, a database per run.
let wire: WireServer | undefined;
if (wireServerAvailable()) {
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
        { label: 'Registrar, 4 sample scripts, embedded store', start: () => startRegistrar('samples'), load: register },
        { label: 'Registrar, 4 sample scripts, MongoDB store', start: onMongo, load: register },
        { label: PEER, start: startPeer, load: register },
      ],
    },
    {
      scenario: `read a registered client, MongoDB store (${wire.name})`,
      runs: [
        { label: 'Registrar, 4 sample scripts, embedded store', start: () => startRegistrar('samples'), load: read },
        { label: 'Registrar, 4 sample scripts, MongoDB store', start: onMongo, load: read },
        { label: PEER, start: startPeer, load: read },
      ],
    },
  );
} else {
  console.log('No MongoDB wire server (MONGODB_URI, or bash .ci/ferretdb.sh): the MongoDB store scenarios are left out.');
}

// Ory Hydra, when built (bash .ci/hydra.sh): one process for every run, clients kept in memory.
let hydra: Hydra | undefined;
const hydraConfig = join(tempDir('registrar-bench-hydra-'), 'hydra.json');
if (available('hydra')) {
  hydra = await startHydra();
  writeFileSync(hydraConfig, JSON.stringify({ authorizationServer: { type: 'hydra', adminUrl: hydra.adminUrl, issuer: hydra.issuer } }));
  const withHydra = async () => ({ ...(await startRegistrar('none', { DCR_CONFIG: hydraConfig })), companion: () => hydra?.pid() });
  scenarios.push({
    scenario: 'register, Hydra connected',
    runs: [
      { label: 'Registrar, no scripts', start: () => startRegistrar('none'), load: register },
      { label: 'Registrar, no scripts, Hydra', start: withHydra, load: register },
      { label: PEER, start: startPeer, load: register },
    ],
  });
} else {
  console.log('Ory Hydra is not built (bash .ci/hydra.sh): the scenario with Hydra connected is left out.');
}

// Tracing on, exporting every span to Jaeger (when built: bash .ci/jaeger.sh), beside tracing off:
// one receiver for every run, its CPU time reported beside Registrar's.
let jaeger: Jaeger | undefined;
if (jaegerBinary()) {
  jaeger = await startJaeger();
  const traced = (scripts: 'none' | 'samples', env: Record<string, string> = {}) => async () => ({
    ...(await startRegistrar(scripts, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: jaeger!.otlpEndpoint })),
    companion: () => jaeger?.pid(),
  });
  scenarios.push({
    scenario: 'register (typical body), tracing',
    runs: [
      { label: 'Registrar, 4 sample scripts, tracing off', start: () => startRegistrar('samples'), load: register },
      { label: 'Registrar, 4 sample scripts, tracing on (to Jaeger)', start: traced('samples'), load: register },
      { label: PEER, start: startPeer, load: register },
    ],
  });
  if (hydra) {
    scenarios.push({
      scenario: 'register, Hydra connected, tracing',
      runs: [
        { label: 'Registrar, no scripts, Hydra, tracing off', start: async () => ({ ...(await startRegistrar('none', { DCR_CONFIG: hydraConfig })), companion: () => hydra?.pid() }), load: register },
        { label: 'Registrar, no scripts, Hydra, tracing on (to Jaeger)', start: traced('none', { DCR_CONFIG: hydraConfig }), load: register },
        { label: PEER, start: startPeer, load: register },
      ],
    });
  }
} else {
  console.log('Jaeger is not built (bash .ci/jaeger.sh): the scenarios with tracing on are left out.');
}

const only = process.env.BENCH_SCENARIOS;
if (only) scenarios.splice(0, scenarios.length, ...scenarios.filter(({ scenario }) => scenario.includes(only)));

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
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
console.log(`Hot reload: ${RELOADS} saves of a script while registrations run (4 connections)`);
console.table([
  {
    'median ms (write -> new version served)': +at(0.5).toFixed(1),
    'p95 ms': +at(0.95).toFixed(1),
    'max ms': +at(1).toFixed(1),
    'requests during reloads': loadRequests,
    failed: [...failures.values()].reduce((a, b) => a + b, 0),
  },
]);
if (failures.size) console.log('failures:', Object.fromEntries(failures));
