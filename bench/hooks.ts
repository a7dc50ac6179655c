// Per-hook call overhead of the script host: one modifyScopes decision with 0, 1 and 5 scripts
// loaded (each exporting an identity modifyScopes), median and p99 over many calls.
// Run: npm run bench:hooks
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BUILTIN_PLUGINS } from '../plugins/index.ts';
import { buildConfig, ConfigHolder } from '../core/config/index.ts';
import { outboundPolicy } from '../core/outbound/index.ts';
import { pluginServices } from '../core/plugin/index.ts';
import type { HookContext } from '../core/policy/index.ts';
import { ScriptHost } from '../core/sandbox/index.ts';
import { EmbeddedStore } from '../core/store/index.ts';
import { RemoteKeySets } from '../core/trust/index.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5000);
const WARMUP = 500;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function measure(scripts: number): Promise<{ median: number; p99: number; mean: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'registrar-bench-'));
  const scriptsDir = join(dir, 'scripts');
  mkdirSync(scriptsDir);
  for (let i = 0; i < scripts; i += 1) {
    writeFileSync(join(scriptsDir, `s${i}.js`), 'export function modifyScopes(scopes, context) { return scopes; }\n');
  }
  const logger = pino({ level: 'silent' });
  const store = new EmbeddedStore(dir);
  const host = new ScriptHost({
    dir: scriptsDir,
    logger,
    plugins: BUILTIN_PLUGINS,
    services: pluginServices({
      logger,
      clients: store.clients,
      config: new ConfigHolder(buildConfig({})),
      clock: Date.now,
      keySets: new RemoteKeySets(() => ({ outbound: outboundPolicy(buildConfig({})), maxAgeMs: 0, cooldownMs: 0 })),
      filesDir: join(dir, 'plugin-files'),
    }),
  });
  await host.loadAll();
  const context: HookContext = {
    operation: 'create',
    requestId: 'bench',
    clientId: 'c',
    request: { redirect_uris: ['https://a.example/cb'] },
    client: { redirect_uris: ['https://a.example/cb'], client_name: 'Bench', grant_types: ['authorization_code'], scope: 'openid' },
  };
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i += 1) {
    const started = performance.now();
    await host.forRequest({ requestId: 'bench' }).decideList('modifyScopes', ['openid', 'profile'], context);
    if (i >= WARMUP) samples.push((performance.now() - started) * 1000);
  }
  await host.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  samples.sort((a, b) => a - b);
  return { median: quantile(samples, 0.5), p99: quantile(samples, 0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const rows = [];
for (const scripts of [0, 1, 5]) {
  const { median, p99, mean } = await measure(scripts);
  rows.push({ scripts, 'median µs': median.toFixed(1), 'p99 µs': p99.toFixed(1), 'mean µs': mean.toFixed(1), 'per script, median µs': scripts ? (median / scripts).toFixed(1) : '-' });
}
console.log(`modifyScopes decision, ${ITERATIONS} calls each (node ${process.version})`);
console.table(rows);
