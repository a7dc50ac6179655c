// `npm start`: run Registrar as a process (or, with DCR_WORKERS > 1, as a supervisor of worker
// processes: core/cluster). Prints one line with the URL it listens on; SIGTERM and SIGINT stop
// accepting connections, let requests in flight finish, then close the store.
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from './log/index.ts';
import { isWorkerProcess, joinSupervisor, superviseWorkers } from './cluster/index.ts';
import { readSettings, type Settings } from './config/index.ts';
import { createRegistrar } from './index.ts';
import { openStore } from './store/index.ts';
import { startTracing } from './tracing/sdk.ts';

/** One line: where it listens, under which issuer, and what it runs on (store, authorization server, scripts, configuration, processes). */
const listeningLine = (settings: Settings, address: string, port: number, summary: string, processes: string) =>
  `Registrar listening on ${settings.tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port} (issuer ${settings.issuer}); ${summary}; ${processes}\n`;

/**
 * SIGTERM and SIGINT are handled from the first moment: the first one stops the process through the
 * `close` given once the start has ended (a signal during the start waits for it, rather than
 * killing the process half-way through a write); later ones change nothing.
 */
function exitOnSignal(logger: Logger): (close: () => Promise<number>) => void {
  let signal: string | undefined;
  let close: (() => Promise<number>) | undefined;
  const go = () => {
    if (!signal || !close) return;
    const closing = close;
    close = undefined;
    logger.info({ signal }, 'shutting down');
    closing().then(
      (code) => process.exit(code),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.on(name, () => {
      signal ??= name;
      go();
    });
  }
  return (given) => {
    close = given;
    go();
  };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const logger = createLogger(settings.logLevel);
  const closeWith = exitOnSignal(logger);
  const worker = isWorkerProcess();
  if (settings.workers > 1 && !worker) {
    const supervisor = await superviseWorkers(settings, logger);
    process.stdout.write(listeningLine(settings, settings.host, supervisor.port, supervisor.summary, `${settings.workers} worker processes`));
    return closeWith(() => supervisor.stop());
  }
  // Before anything that makes spans: the SDK installs the context manager and the propagator.
  const tracing = settings.tracing.enabled ? await startTracing(settings.tracing.serviceName, logger) : undefined;
  const store = await openStore(settings, logger);
  const registrar = createRegistrar({ settings, logger, store, worker });
  const server = await registrar.listen();
  const { address, port } = server.address() as AddressInfo;
  if (worker) {
    joinSupervisor({
      port,
      summary: registrar.summary(),
      metrics: registrar.metrics,
      runBackgroundJobs: registrar.runBackgroundJobs,
      onConfigurationChange: (listener) => registrar.config.onReplace(() => listener(registrar.config.revision)),
      configurationRevision: () => registrar.config.revision,
      refreshConfiguration: () => registrar.refreshConfiguration(),
    });
  } else process.stdout.write(listeningLine(settings, address, port, registrar.summary(), '1 process'));
  closeWith(async () => {
    await registrar.close();
    await tracing?.shutdown();
    return 0;
  });
}

main().catch((err: unknown) => {
  // Operator mistakes (bad configuration, port in use) are reported plainly, without a stack.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Registrar failed to start: ${message}\n`);
  process.exit(1);
});
