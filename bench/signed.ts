// Registrations per second for a signed request (ES256, application/jwt) carrying a software
// statement (PS256, builtin validation), against a plain JSON registration, in one run, on the
// embedded store with no scripts. Runs alternate. Run: npm run bench:signed
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwksOf, signWith, testKey } from '../test/helpers/keys.ts';
import { tempDir } from '../test/helpers/server.ts';
import { CONNECTIONS, drive, DURATION, postJson, ROUNDS, row, Samples, startRegistrar, stop } from './harness.ts';

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

const configDir = tempDir('registrar-bench-config-');
const config = join(configDir, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    dcrSignatureValidationEnabled: true,
    softwareStatementValidationType: 'builtin',
    dcrSsaValidationConfigs: [{ id: 'dir', type: 'SSA', issuers: ['Directory'], jwks: jwksOf(directory) }],
    dcrSignatureValidationSoftwareStatementJwksClaim: 'software_jwks',
  }),
);
const server = await startRegistrar('none', { DCR_CONFIG: config });

const scenarios = [
  { name: 'plain JSON registration', contentType: 'application/json', body: plain },
  { name: 'signed request (ES256) + software statement (PS256)', contentType: 'application/jwt', body: signed },
];
const samples = new Samples();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const scenario of scenarios) samples.add(scenario.name, await drive(server, postJson(server.registration, scenario.body, scenario.contentType)));
  }
} finally {
  await stop(server);
  rmSync(configDir, { recursive: true, force: true });
}
const baseline = samples.median(scenarios[0]!.name).rps;
console.log(`POST /register, embedded store, ${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} alternating rounds (node ${process.version})`);
console.table(scenarios.map(({ name }) => ({ scenario: name, ...row(samples.median(name)), 'vs plain': +(samples.median(name).rps / baseline).toFixed(2) })));
