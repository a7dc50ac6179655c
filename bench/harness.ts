// What the benchmarks share: Registrar (or a peer) as its own process on a loopback port, the
// autocannon load, the server process's CPU time per request, and averaging alternating runs.
// Benchmarks print tables; they assert nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { enableSample, SAMPLES } from '../test/helpers/scripts.ts';
import { freePort, tempDir } from '../test/helpers/server.ts';

export const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const ROOT = new URL('..', import.meta.url).pathname;

export interface Running {
  url: string;
  registration: string;
  child: ChildProcess;
  dir: string;
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
  const port = await freePort();
  const child = spawn(process.execPath, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', join(root, 'core/main.ts')], {
    env: { ...process.env, PORT: String(port), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dir, DCR_SCRIPTS_DIR: scriptsDir, DCR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, 'listening on');
  const url = `http://127.0.0.1:${port}`;
  return { url, registration: `${url}/register`, child, dir };
}

/** node-oidc-provider (bench/peer.ts). */
export async function startPeer(): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bench/peer.ts'), String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  await waitForLine(child, 'listening on');
  const url = `http://127.0.0.1:${port}`;
  return { url, registration: `${url}/reg`, child, dir: '' };
}

export async function stop(server: Running): Promise<void> {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  if (server.dir) rmSync(server.dir, { recursive: true, force: true });
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

/** Load on `server` for DURATION seconds, with its CPU time per request. */
export async function drive(server: Running, options: autocannon.Options): Promise<Sample> {
  const cpuBefore = cpuMillis(server.child.pid);
  const companionBefore = server.companion ? cpuMillis(server.companion()) : Number.NaN;
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...options });
  const cpu = cpuMillis(server.child.pid) - cpuBefore;
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

/** Samples by label; a label's figure is the median of its rounds (a round disturbed by the machine weighs no more than one). */
export class Samples {
  readonly #runs = new Map<string, Sample[]>();

  add(label: string, sample: Sample): void {
    this.#runs.set(label, [...(this.#runs.get(label) ?? []), sample]);
  }

  median(label: string): Sample {
    const runs = this.#runs.get(label) ?? [];
    const median = (pick: (s: Sample) => number) => {
      const values = runs.map(pick).sort((a, b) => a - b);
      if (values.length === 0) return Number.NaN;
      const middle = Math.floor(values.length / 2);
      return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
    };
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
