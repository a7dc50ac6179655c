// A/B of two checkouts of Registrar: both served at the same time, each driven by its own load
// generator with half the connections, so a change of the machine's speed during the run (these
// machines drift by tens of percent within minutes) touches both alike. Prints each round's CPU
// time per request of both and their ratio, then the median ratio. An A/A run (the same checkout
// twice) shows the noise floor.
//   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   npm run bench:ab -- /tmp/base [register|register-every-hook|read] [samples|none]
import { resolve } from 'node:path';
import { DURATION, ROOT, ROUNDS, startRegistrar, stop, CONNECTIONS } from './harness.ts';
import { LOADS } from './loads.ts';

const [base, loadName = 'register', scripts = 'samples'] = process.argv.slice(2);
const load = LOADS[loadName];
if (!base || !load || (scripts !== 'samples' && scripts !== 'none')) {
  console.error(`usage: npm run bench:ab -- <other checkout> [${Object.keys(LOADS).join('|')}] [samples|none]`);
  process.exit(2);
}
const sides = [
  { label: `base (${resolve(base)})`, root: resolve(base) },
  { label: `this checkout (${ROOT})`, root: ROOT },
];
const rows = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const servers = await Promise.all(sides.map((side) => startRegistrar(scripts, {}, side.root)));
  try {
    const [a, b] = await Promise.all(servers.map((server) => load(server, { connections: Math.max(1, Math.floor(CONNECTIONS / 2)) })));
    ratios.push(a!.cpuMs / b!.cpuMs);
    rows.push({
      round,
      'base req/s': Math.round(a!.rps),
      'base CPU ms/req': +a!.cpuMs.toFixed(3),
      'this req/s': Math.round(b!.rps),
      'this CPU ms/req': +b!.cpuMs.toFixed(3),
      'base CPU / this CPU': +(a!.cpuMs / b!.cpuMs).toFixed(3),
      failed: a!.failed + b!.failed,
    });
  } finally {
    await Promise.all(servers.map(stop));
  }
}
ratios.sort((x, y) => x - y);
console.log(`${loadName}, scripts: ${scripts}; ${CONNECTIONS / 2} connections each, ${DURATION} s, ${ROUNDS} rounds, both at once (node ${process.version})`);
console.table(rows);
console.log(`median base CPU / this CPU: ${ratios[Math.floor(ratios.length / 2)]!.toFixed(3)} (above 1: this checkout uses less CPU per request)`);
