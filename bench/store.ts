// Registrations per second on the embedded store and on MongoDB, in one run, driven by the same
// load generator against a Registrar process with no scripts. Runs alternate.
// Run: npm run bench:store   (MONGODB_URI, or FerretDB from .ci/ferretdb.sh)
import { startWireServer } from '../test/helpers/mongo.ts';
import { CONNECTIONS, drive, DURATION, postJson, ROUNDS, row, Samples, startRegistrar, stop } from './harness.ts';

const BODY = JSON.stringify({ redirect_uris: ['https://client.example.org/cb'], client_name: 'Bench', grant_types: ['authorization_code', 'refresh_token'] });

const wire = await startWireServer();
const targets: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'embedded (node:sqlite)', env: {} },
  { name: `MongoDB store on ${wire.name}`, env: { MONGODB_URI: wire.uri, DCR_MONGODB_DATABASE: wire.database, DCR_ENCRYPTION_KEY: 'b'.repeat(64) } },
];
const samples = new Samples();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const target of targets) {
      const server = await startRegistrar('none', target.env);
      try {
        samples.add(target.name, await drive(server, postJson(server.registration, BODY)));
      } finally {
        await stop(server);
      }
    }
  }
} finally {
  await wire.close();
}
const embedded = samples.median(targets[0]!.name).rps;
console.log(`POST /register, ${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} alternating rounds, no scripts (node ${process.version})`);
console.table(targets.map(({ name }) => ({ store: name, ...row(samples.median(name)), 'vs embedded': +(samples.median(name).rps / embedded).toFixed(2) })));
