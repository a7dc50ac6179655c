// `npm start`: run Registrar as a process (or, with DCR_WORKERS > 1, as a supervisor of worker
// processes: core/cluster). Prints one line with the URL it listens on; SIGTERM and SIGINT stop
// accepting connections, let requests in flight finish, then close the store.
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { isWorkerProcess, joinSupervisor, superviseWorkers } from './cluster/index.ts';
import { readSettings, type Settings } from './config/index.ts';
import { createRegistrar } from './index.ts';
import { openStore } from './store/index.ts';

const listeningLine = (settings: Settings, address: string, port: number, workers: string) =>
  `Registrar listening on ${settings.tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port} (issuer ${settings.issuer})${workers}\n`;

async function supervise(settings: Settings): Promise<void> {
  const logger = pino({ level: settings.logLevel });
  const supervisor = await superviseWorkers(settings, logger);
  process.stdout.write(listeningLine(settings, settings.host, supervisor.port, `, ${settings.workers} worker processes`));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down the workers');
    void supervisor.stop().then((code) => process.exit(code));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const settings = readSettings();
  const worker = isWorkerProcess();
  if (settings.workers > 1 && !worker) return supervise(settings);
  const logger = pino({ level: settings.logLevel });
  const store = await openStore(settings, logger);
  const registrar = createRegistrar({ settings, logger, store, worker });
  const server = await registrar.listen();
  const { address, port } = server.address() as AddressInfo;
  if (worker) joinSupervisor(port, registrar.metrics, registrar.runBackgroundJobs);
  else process.stdout.write(listeningLine(settings, address, port, ''));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    registrar.logger.info({ signal }, 'shutting down');
    registrar.close().then(
      () => process.exit(0),
      (err: unknown) => {
        registrar.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // Operator mistakes (bad configuration, port in use) are reported plainly, without a stack.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Registrar failed to start: ${message}\n`);
  process.exit(1);
});
