// One hostile script present: the throughput and latency of ordinary registrations while another
// script, on a trickle of its own requests, runs away, hangs, floods its plugins and the log.
// Beside it, the same server with the same scripts and no hostile traffic. CPU ms/req is all the
// server's CPU time (hostile work included) per ordinary registration.   Run: npm run bench:hostile
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { tempDir } from '../test/helpers/server.ts';
import { CONNECTIONS, drive, DURATION, postJson, ROOT, ROUNDS, row, Samples, startRegistrar, stop } from './harness.ts';

const ORDINARY = JSON.stringify({ redirect_uris: ['https://client.example.org/cb'], client_name: 'Ordinary', token_endpoint_auth_method: 'client_secret_basic' });

// Applies only to registrations named "attack"; each picks one way to misbehave.
const HOSTILE = `
export const match = { createClient: { properties: { request: { properties: { client_name: { const: 'attack' } }, required: ['client_name'] } } } };
let turn = 0;
export async function createClient(context) {
  turn += 1;
  switch (turn % 5) {
    case 0: for (;;) {}
    case 1: await new Promise(() => {});
    case 2: for (let i = 0; i < 2000; i += 1) host.jwks.get('https://keys.invalid/' + context.requestId + '/' + i).catch(() => {}); return true;
    case 3: await host.log.info('x'.repeat(5 * 1024 * 1024)); return true;
    default: return host.directory.validateChain('x', '-----BEGIN CERTIFICATE-----'.repeat(9000));
  }
}`;

function scriptsWithHostile(): string {
  const dir = join(tempDir('registrar-hostile-'), 'scripts');
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'scripts'), dir, { recursive: true });
  writeFileSync(join(dir, 'hostile.js'), HOSTILE);
  writeFileSync(join(dir, 'hostile.json'), JSON.stringify({ timeoutMs: 200, plugins: { jwks: {}, log: {}, directory: { trustAnchors: '-' } } }));
  return dir;
}

const samples = new Samples();
const attacks = { sent: 0, refused: 0 };
for (let round = 0; round < ROUNDS; round += 1) {
  for (const hostile of round % 2 === 0 ? [false, true] : [true, false]) {
    const server = await startRegistrar(scriptsWithHostile());
    try {
      let attacker: autocannon.Instance | undefined;
      if (hostile) {
        attacker = autocannon({ ...postJson(server.registration, JSON.stringify({ ...JSON.parse(ORDINARY), client_name: 'attack' })), connections: 2, duration: DURATION + 5 }, () => {});
        attacker.on('response', (_client: unknown, status: number) => {
          attacks.sent += 1;
          if (status !== 201) attacks.refused += 1;
        });
      }
      samples.add(hostile ? 'hostile' : 'clean', await drive(server, { ...postJson(server.registration, ORDINARY), connections: CONNECTIONS - 2 }));
      attacker?.stop();
    } finally {
      await stop(server);
    }
  }
}
console.log(`Ordinary registrations, ${CONNECTIONS - 2} connections, ${DURATION} s per run, ${ROUNDS} alternating rounds; the hostile run adds 2 connections of attack registrations (node ${process.version})`);
const clean = samples.median('clean');
console.table([
  { run: 'samples, no hostile traffic', ...row(clean), 'vs clean': 1 },
  { run: 'samples + a hostile script under attack', ...row(samples.median('hostile')), 'vs clean': +(samples.median('hostile').rps / clean.rps).toFixed(2) },
]);
console.log(`attack registrations answered: ${attacks.sent}, of which failed as the script deserved: ${attacks.refused}`);
