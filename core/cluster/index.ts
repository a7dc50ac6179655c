// DCR_WORKERS > 1: a supervising process and N worker processes on one port. Each worker is a
// whole Registrar (its own isolates, folder watcher and SO_REUSEPORT socket) on the shared store;
// the supervisor serves nothing. It starts the workers one after the other (the first settles
// the stored configuration, the data directory's key and the administration client, and an
// ephemeral port is learnt from it), replaces one that dies, names one worker to run the
// background jobs, gathers every worker's metrics for /metrics, passes on a configuration change
// one worker made to the others (which read it from the store at once), and stops them all on
// SIGTERM or SIGINT.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from '../admin/index.ts';
import type { Settings } from '../config/index.ts';
import { messageOf } from '../errors/index.ts';

/** Messages between the supervisor and its workers. */
type Message =
  | { type: 'registrar:listening'; port: number; summary: string }
  | { type: 'registrar:run-background-jobs' }
  | { type: 'registrar:metrics-request'; id: number }
  | { type: 'registrar:metrics'; id: number; text?: string; error?: string }
  | { type: 'registrar:configuration-changed'; revision: number };

const isMessage = (value: unknown): value is Message => typeof (value as { type?: unknown })?.type === 'string' && (value as { type: string }).type.startsWith('registrar:');

/** A replacement that dies before it listens is tried again after this long (doubling up to the maximum). */
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export interface Supervisor {
  /** The port every worker listens on. */
  port: number;
  /** What the first worker said of its store, authorization server, scripts and configuration (it settled the configuration). */
  summary: string;
  stop(): Promise<number>;
}

/** In the supervising process: starts `settings.workers` workers and keeps that many running. */
export async function superviseWorkers(settings: Settings, logger: Logger): Promise<Supervisor> {
  const aggregator = new AggregatorRegistry();
  const workers = new Set<Worker>();
  let leader: Worker | undefined;
  let stopping = false;
  let port = settings.port;
  let summary = '';
  let retryMs = RETRY_MS;

  const lead = () => {
    if (leader || stopping) return;
    leader = [...workers].find((worker) => worker.isConnected());
    leader?.send({ type: 'registrar:run-background-jobs' } satisfies Message);
  };

  /** Forks one worker; resolves with its port once it listens, rejects with how it ended if it exits first. */
  const fork = () =>
    new Promise<number>((resolve, reject) => {
      const worker = cluster.fork({ PORT: String(port) });
      const exited = (code: number | null, signal: string | null) => reject(new Error(`a worker exited before listening (${signal ?? `code ${code}`})`));
      worker.once('exit', exited);
      worker.on('message', (message: unknown) => {
        if (!isMessage(message)) return;
        if (message.type === 'registrar:listening') {
          worker.off('exit', exited);
          workers.add(worker);
          worker.once('exit', (code, signal) => replace(worker, code, signal));
          summary ||= message.summary;
          resolve(message.port);
        } else if (message.type === 'registrar:configuration-changed') {
          for (const other of workers) if (other !== worker && other.isConnected()) other.send(message);
        } else if (message.type === 'registrar:metrics-request') {
          aggregator.clusterMetrics().then(
            (text) => worker.isConnected() && worker.send({ type: 'registrar:metrics', id: message.id, text } satisfies Message),
            (err: unknown) => worker.isConnected() && worker.send({ type: 'registrar:metrics', id: message.id, error: messageOf(err) } satisfies Message),
          );
        }
      });
    });

  const replace = (worker: Worker, code: number | null, signal: string | null) => {
    workers.delete(worker);
    if (leader === worker) leader = undefined;
    if (stopping) return;
    logger.error({ worker: worker.process.pid, code, signal }, 'a worker process ended; starting another');
    lead();
    const attempt = () => {
      if (stopping) return;
      fork().then(
        () => {
          retryMs = RETRY_MS;
          lead();
        },
        (err: unknown) => {
          if (stopping) return;
          logger.error({ err, retryInMs: retryMs }, 'a replacement worker failed to start');
          setTimeout(attempt, retryMs).unref();
          retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
        },
      );
    };
    attempt();
  };

  // One after the other: the first settles what the others then find (configuration, key, port).
  try {
    for (let index = 0; index < settings.workers; index += 1) port = await fork();
  } catch (err) {
    stopping = true;
    await stopAll();
    throw err;
  }
  lead();
  return {
    port,
    summary,
    async stop() {
      stopping = true;
      return stopAll();
    },
  };
}

/** SIGTERM to every worker (each drains its requests); resolves with 0 when all ended cleanly. */
async function stopAll(): Promise<number> {
  const running = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
  const codes = await Promise.all(
    running.map(
      (worker) =>
        new Promise<number>((resolve) => {
          if (worker.isDead()) return resolve(worker.process.exitCode ?? 1);
          // One still starting when told to stop may end by the signal itself.
          worker.once('exit', (code, signal) => resolve(signal === 'SIGTERM' ? 0 : (code ?? 1)));
          worker.process.kill('SIGTERM');
        }),
    ),
  );
  return codes.every((code) => code === 0) ? 0 : 1;
}

/** What a worker gives the supervisor's messages to act on. */
export interface WorkerSide {
  port: number;
  /** The start-up line's facts, for the supervisor to print. */
  summary: string;
  metrics: Metrics;
  runBackgroundJobs: () => void;
  /** Told `revision` when this process's configuration changes. */
  onConfigurationChange: (listener: (revision: number) => void) => void;
  configurationRevision: () => number;
  /** Reads the stored configuration now. */
  refreshConfiguration: () => Promise<void>;
}

/**
 * In a worker process: tells the supervisor it listens, runs the background jobs when named to,
 * serves every worker's metrics gathered by the supervisor, and tells the others of a
 * configuration change (so none serves the old one for a refresh interval).
 */
export function joinSupervisor({ port, summary, metrics, runBackgroundJobs, onConfigurationChange, configurationRevision, refreshConfiguration }: WorkerSide): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // Constructing one installs prom-client's answer to the supervisor's requests for this worker's metrics.
  new AggregatorRegistry();
  let nextId = 1;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.type === 'registrar:run-background-jobs') runBackgroundJobs();
    else if (message.type === 'registrar:configuration-changed' && message.revision > configurationRevision()) void refreshConfiguration();
    else if (message.type === 'registrar:metrics') {
      const request = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) request?.resolve(message.text);
      else request?.reject(new Error(message.error ?? 'no metrics'));
    }
  });
  metrics.exposeFrom(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        process.send!({ type: 'registrar:metrics-request', id } satisfies Message);
      }),
  );
  onConfigurationChange((revision) => process.send!({ type: 'registrar:configuration-changed', revision } satisfies Message));
  process.send!({ type: 'registrar:listening', port, summary } satisfies Message);
}

export const isWorkerProcess = (): boolean => cluster.isWorker;
