// What the benchmarks share: Registrar (or a peer) as its own process on a loopback port, the
// autocannon load, the server process's CPU time per request, and averaging alternating runs.
// Benchmarks print tables; they assert nothing.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { hydraBinary, startHydra, startKeycloak } from '../test/helpers/authorizationServers.ts';
import { enableSample, SAMPLES } from '../test/helpers/scripts.ts';
import { freePort, tempDir } from '../test/helpers/server.ts';

export const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const ROOT = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);

export interface Running {
  url: string;
  registration: string;
  /** The server's process (its descendants are counted with it). */
  pid(): number | undefined;
  /** Stops it and removes what it wrote. */
  close(): Promise<void>;
  /** Another process the load reaches through this server (an authorization server): its CPU time is reported too. */
  companion?: () => number | undefined;
}

export interface Sample {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** CPU time (user + system) of the server's processes per completed request: steadier than req/s on a shared machine. */
  cpuMs: number;
  /** The same for the companion process, when there is one. */
  companionCpuMs?: number;
}

async function waitForLine(child: ChildProcess, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes(text) && resolve());
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
}

/** A server this bench spawns on a free port (`launch` says how it is told the port), its scratch folder removed once it stopped. */
async function spawned(dir: string, path: string, launch: (port: number) => { args: string[]; env?: Record<string, string> }): Promise<Running> {
  const port = await freePort();
  const { args, env = {} } = launch(port);
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(child, 'listening on');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    registration: `${url}${path}`,
    pid: () => child.pid,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registrar on the embedded store; `scripts`: none, the shipped samples, or a folder. `root`: the
 * checkout to run (another one for an A/B comparison, bench/ab.ts).
 */
export async function startRegistrar(scripts: 'none' | 'samples' | string = 'none', env: Record<string, string> = {}, root = ROOT): Promise<Running> {
  const dir = tempDir('registrar-bench-');
  const scriptsDir = scripts === 'none' || scripts === 'samples' ? join(dir, 'scripts') : scripts;
  if (scripts === 'none') mkdirSync(scriptsDir);
  if (scripts === 'samples') {
    // The four general samples, on (as shipped they are off): what a deployment that uses them runs.
    cpSync(join(root, 'scripts'), scriptsDir, { recursive: true });
    for (const name of SAMPLES) enableSample(scriptsDir, name);
  }
  return spawned(dir, '/register', (port) => ({
    args: ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', join(root, 'core/main.ts')],
    env: { PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dir, DCR_SCRIPTS_DIR: scriptsDir, DCR_LOG_LEVEL: 'warn', ...env },
  }));
}

/** node-oidc-provider (bench/peer.ts) on its durable SQLite adapter, or its development adapter in memory. */
export function startPeer(adapter: 'sqlite' | 'memory' = 'sqlite'): Promise<Running> {
  const dir = tempDir('registrar-bench-peer-');
  return spawned(dir, '/reg', (port) => ({ args: ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/peer.ts'), String(port), adapter, dir] }));
}

/** The floor of the stack (bench/floor.ts): Koa and one durable SQLite insert per registration. */
export function startFloor(): Promise<Running> {
  const dir = tempDir('registrar-bench-floor-');
  return spawned(dir, '/register', (port) => ({ args: ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/floor.ts'), String(port), dir] }));
}

/**
 * Ory Hydra's own registration endpoint (`/oauth2/register`, dynamic registration on) on a SQLite
 * file (WAL, synchronous NORMAL), migrated first: started once, kept for every run of the bench.
 */
export async function startHydraRegistration(): Promise<Running> {
  const dir = tempDir('registrar-bench-hydra-own-');
  const DSN = `sqlite://${join(dir, 'hydra.sqlite')}?_fk=true&_journal_mode=WAL&_synchronous=NORMAL`;
  await run(hydraBinary()!, ['migrate', 'sql', 'up', '--read-from-env', '--yes'], { env: { ...process.env, DSN } });
  const hydra = await startHydra({ env: { DSN, OIDC_DYNAMIC_CLIENT_REGISTRATION_ENABLED: 'true' } });
  return {
    url: hydra.publicUrl,
    registration: `${hydra.publicUrl}/oauth2/register`,
    pid: hydra.pid,
    async close() {
      await hydra.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Keycloak's own OpenID Connect registration endpoint on its file database, in a realm whose
 * anonymous registration policies (trusted hosts, the client cap, consent, scopes) are removed:
 * started once, kept for every run of the bench.
 */
export async function startKeycloakRegistration(): Promise<Running> {
  const keycloak = await startKeycloak({ durable: true });
  const ok = async (answer: Promise<Response>, what: string) => {
    const response = await answer;
    if (!response.ok) throw new Error(`Keycloak: ${what}: ${response.status} ${await response.text()}`);
    return response;
  };
  await ok(keycloak.admin('POST', '/realms', { realm: 'bench', enabled: true }), 'the realm');
  const policies = (await (await ok(keycloak.admin('GET', '/realms/bench/components?type=org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy'), 'its policies')).json()) as Array<{ id: string; subType: string }>;
  for (const policy of policies.filter((each) => each.subType === 'anonymous')) await ok(keycloak.admin('DELETE', `/realms/bench/components/${policy.id}`), 'an anonymous policy');
  return { url: keycloak.url, registration: `${keycloak.url}/realms/bench/clients-registrations/openid-connect`, pid: keycloak.pid, close: keycloak.close };
}

/** A server started once for the whole bench: each run's stop leaves it running. */
export const kept = (server: Running): Running => ({ ...server, close: async () => {} });

export async function stop(server: Running): Promise<void> {
  await server.close();
}

// Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
const CLOCK_TICKS_PER_SECOND = 100;

/** A process and its descendants (a supervisor's worker processes), from /proc. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children = children.concat(readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    }
  } catch {
    // gone meanwhile
  }
  return [pid, ...children.flatMap(processTree)];
}

/** CPU milliseconds a process and its descendants have used so far (all threads), or NaN where /proc is not available. */
export function cpuMillis(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return processTree(pid).reduce((sum, each) => {
      const stat = readFileSync(`/proc/${each}/stat`, 'utf8');
      // Fields after the parenthesised command name, which may itself hold spaces; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
    }, 0);
  } catch {
    return Number.NaN;
  }
}

/** Requests sent before each measured run and not counted: JIT, caches, a resolver's first answer. */
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 300);

/** Load on `server` for DURATION seconds, after a warm-up, with its CPU time per request. */
export async function drive(server: Running, options: autocannon.Options): Promise<Sample> {
  if (WARM_UP > 0) {
    const { duration: _duration, ...untimed } = options;
    await autocannon({ connections: CONNECTIONS, ...untimed, amount: WARM_UP });
  }
  const cpuBefore = cpuMillis(server.pid());
  const companionBefore = server.companion ? cpuMillis(server.companion()) : Number.NaN;
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options });
  const cpu = cpuMillis(server.pid()) - cpuBefore;
  const requests = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.errors + result.non2xx,
    cpuMs: cpu / requests,
    ...(server.companion ? { companionCpuMs: (cpuMillis(server.companion()) - companionBefore) / requests } : {}),
  };
}

export const postJson = (url: string, body: string, contentType = 'application/json'): autocannon.Options => ({
  url,
  method: 'POST',
  headers: { 'content-type': contentType },
  body,
});

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Samples by label; a label's figure is the median of its rounds (a round disturbed by the machine weighs no more than one). */
export class Samples {
  readonly #runs = new Map<string, Sample[]>();

  add(label: string, sample: Sample): void {
    this.#runs.set(label, [...(this.#runs.get(label) ?? []), sample]);
  }

  /**
   * The median over rounds of `pick(a) / pick(b)` for runs of the same round: steadier than the
   * ratio of the medians when the machine's speed drifts between rounds.
   */
  ratio(a: string, b: string, pick: (sample: Sample) => number): number {
    const first = this.#runs.get(a) ?? [];
    const second = this.#runs.get(b) ?? [];
    return medianOf(first.slice(0, second.length).map((sample, round) => pick(sample) / pick(second[round]!)));
  }

  median(label: string): Sample {
    const runs = this.#runs.get(label) ?? [];
    const median = (pick: (s: Sample) => number) => medianOf(runs.map(pick));
    return {
      rps: median((s) => s.rps),
      p50: median((s) => s.p50),
      p99: median((s) => s.p99),
      failed: runs.reduce((sum, s) => sum + s.failed, 0),
      cpuMs: median((s) => s.cpuMs),
      ...(runs.some((s) => s.companionCpuMs !== undefined) ? { companionCpuMs: median((s) => s.companionCpuMs ?? 0) } : {}),
    };
  }
}

export const row = (sample: Sample) => ({
  'req/s': Math.round(sample.rps),
  'p50 ms': +sample.p50.toFixed(1),
  'p99 ms': +sample.p99.toFixed(1),
  'CPU ms/req': +sample.cpuMs.toFixed(2),
  ...(sample.companionCpuMs === undefined ? {} : { 'companion CPU ms/req': +sample.companionCpuMs.toFixed(2) }),
  failed: sample.failed,
});
