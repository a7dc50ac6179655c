// What an idle Registrar costs the authorization server it is connected to, and how fast it stops.
// Registrar runs as a process (npm start's entry) connected to Ory Hydra and to Keycloak through a
// counting HTTP relay (every request it makes to the server passes through it and is counted);
// it serves nothing for IDLE_SECONDS. Reported: the server's requests and CPU time in that window
// (from its start: the metadata read and the reconciler's first run), Registrar's CPU time, and the
// time from SIGTERM to exit. With the default reconciler interval (300 s) and with 10 s.
//   Run: npm run bench:idle   (IDLE_SECONDS, default 60)
import { createServer, request, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { available, KEYCLOAK_REALM, prepareKeycloakRealm, startHydra, startKeycloak } from '../test/helpers/authorizationServers.ts';
import { freePort, tempDir } from '../test/helpers/server.ts';
import { cpuMillis, startRegistrar, stop } from './harness.ts';

const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 60);

/** A relay to the server (`target` of each path) that counts the requests passing through it. */
async function countingRelay(target: (path: string) => string): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((incoming, outgoing) => {
    count++;
    const upstream = new URL(target(incoming.url ?? '/'));
    const forwarded = request({ host: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: upstream.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Row {
  server: string;
  'sync interval s': number;
  'idle s': number;
  'requests at server': number;
  'server CPU ms': number;
  'Registrar CPU ms': number;
  'SIGTERM to exit ms': number;
}

async function idle(label: string, serverPid: number | undefined, relayed: (relay: string) => Record<string, unknown>, target: (path: string) => string, interval: number): Promise<Row> {
  const relay = await countingRelay(target);
  const dir = tempDir('registrar-idle-');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ authorizationServer: relayed(relay.url), authorizationServerSyncIntervalSeconds: interval }));
  const serverBefore = cpuMillis(serverPid);
  const registrar = await startRegistrar('none', { DCR_CONFIG: config });
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const row = {
    server: label,
    'sync interval s': interval,
    'idle s': IDLE_SECONDS,
    'requests at server': relay.count(),
    'server CPU ms': Math.round(cpuMillis(serverPid) - serverBefore),
    'Registrar CPU ms': Math.round(cpuMillis(registrar.pid())),
    'SIGTERM to exit ms': 0,
  };
  const stopping = performance.now();
  await stop(registrar);
  row['SIGTERM to exit ms'] = Math.round(performance.now() - stopping);
  await relay.close();
  return row;
}

/** The server alone, nothing connected: its own idle CPU time in the same window, for comparison. */
async function alone(label: string, serverPid: number | undefined): Promise<Row> {
  const before = cpuMillis(serverPid);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  return { server: `${label}, nothing connected`, 'sync interval s': 0, 'idle s': IDLE_SECONDS, 'requests at server': 0, 'server CPU ms': Math.round(cpuMillis(serverPid) - before), 'Registrar CPU ms': 0, 'SIGTERM to exit ms': 0 };
}

const rows: Row[] = [];
if (available('hydra')) {
  const hydra = await startHydra();
  try {
    rows.push(await alone('Ory Hydra v2.3.0 (empty)', hydra.pid()));
    for (const interval of [300, 10]) {
      // The relay stands for Hydra's admin API, and for its public one where discovery is read.
      const target = (path: string) => (path.startsWith('/.well-known/') ? hydra.publicUrl : hydra.adminUrl);
      rows.push(await idle('Ory Hydra v2.3.0 (empty)', hydra.pid(), (relay) => ({ type: 'hydra', adminUrl: relay, issuer: hydra.issuer, metadataUrl: `${relay}/.well-known/openid-configuration` }), target, interval));
    }
  } finally {
    await hydra.close();
  }
}
if (available('keycloak')) {
  const keycloak = await startKeycloak();
  try {
    await prepareKeycloakRealm(keycloak);
    const { realm, serviceAccount } = KEYCLOAK_REALM;
    rows.push(await alone('Keycloak 26.7.3 (one realm)', keycloak.pid()));
    for (const interval of [300, 10]) {
      rows.push(await idle('Keycloak 26.7.3 (one realm)', keycloak.pid(), (relay) => ({ type: 'keycloak', url: relay, realm, adminClientId: serviceAccount.id, adminClientSecret: serviceAccount.secret }), () => keycloak.url, interval));
    }
  } finally {
    await keycloak.close();
  }
}
console.table(rows);
