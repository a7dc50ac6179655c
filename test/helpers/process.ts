// `npm start`'s entry (core/main.ts) as a real child process: started until it prints its
// listening line, stopped with a signal, or run to a refused start.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export const MAIN = new URL('../../core/main.ts', import.meta.url).pathname;
const NODE_ARGS = ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', MAIN];

export interface Running {
  child: ChildProcess;
  url: string;
  line: string;
  stderr: () => string;
  stdout: () => string;
}

/** `wrap` runs the process under another command (for example `unshare ... sh -c '...' --`), which must exec it. */
export function startProcess(env: Record<string, string>, wrap: string[] = []): Promise<Running> {
  return startCommand([...wrap, process.execPath, ...NODE_ARGS], env);
}

/** Any command that starts the server (`registrar serve` from an install), until its listening line. */
export async function startCommand([command, ...args]: string[], env: Record<string, string>): Promise<Running> {
  const child = spawn(command!, args, { env: { ...process.env, DCR_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  let stdout = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const found = stdout.split('\n').find((l) => l.startsWith('Registrar listening on '));
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  const url = /listening on (\S+)/.exec(line)![1]!;
  return { child, url, line, stderr: () => stderr, stdout: () => stdout };
}

/** Sends `signal` and resolves with the exit code (null when the signal ended it). */
export async function stopProcess(running: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return running.child.exitCode;
  const exited = once(running.child, 'exit');
  running.child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}

/** A start expected to fail: its exit code and what it wrote to stderr. */
export async function failedStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, NODE_ARGS, { env: { ...process.env, ...env }, timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stderr };
}
