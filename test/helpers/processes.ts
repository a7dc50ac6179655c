// A server process the tests start, stop and start again: spawned with its environment, ready
// when its probe answers, stopped with SIGTERM (SIGKILL after ten seconds). Its last output is
// kept for the error when it does not come up.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Supervised {
  /** The process id while it runs (benchmarks read its CPU time). */
  pid(): number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ProcessSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Resolves true once the server serves; polled until `deadlineMs`. */
  ready(): Promise<boolean>;
  deadlineMs: number;
}

export function supervised(spec: ProcessSpec): Supervised {
  let child: ChildProcess | undefined;
  let output = '';
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const forced = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(forced);
  };
  return {
    pid: () => child?.pid,
    stop,
    async start() {
      output = '';
      const running = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child = running;
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
      };
      running.stdout?.on('data', keep);
      running.stderr?.on('data', keep);
      const until = Date.now() + spec.deadlineMs;
      for (;;) {
        if (running.exitCode !== null) throw new Error(`${spec.command} exited (${running.exitCode}): ${output.slice(-2000)}`);
        if (await spec.ready().catch(() => false)) return;
        if (Date.now() > until) {
          await stop();
          throw new Error(`${spec.command} did not come up within ${spec.deadlineMs} ms: ${output.slice(-2000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
  };
}

/** A probe that is ready when `url` answers 2xx. */
export const answers = (url: string) => async () => (await fetch(url)).ok;

/**
 * Starts a server on ports picked just before: another process may take one of them first, so a
 * start that fails is tried again on new ports (three attempts).
 */
export async function onFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
