// `npm start`: run Registrar as a process. Prints one line with the URL it listens on; SIGTERM
// and SIGINT stop accepting connections, let requests in flight finish, then close the store.
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { readSettings } from './config/index.ts';
import { createRegistrar } from './index.ts';
import { openStore } from './store/index.ts';

async function main(): Promise<void> {
  const settings = readSettings();
  const logger = pino({ level: settings.logLevel });
  const store = await openStore(settings, logger);
  const registrar = createRegistrar({ settings, logger, store });
  const server = await registrar.listen();
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  process.stdout.write(`Registrar listening on ${settings.tls ? 'https' : 'http'}://${host}:${port} (issuer ${settings.issuer})\n`);

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
