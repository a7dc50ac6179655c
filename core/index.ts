// Registrar's composition root: builds the services and the Koa application from settings and
// configuration. core/main.ts runs it as a process; tests run it in-process.
import type { Server } from 'node:http';
import Router from '@koa/router';
import type Koa from 'koa';
import pino, { type Logger } from 'pino';
import { buildConfig, ConfigHolder, loadConfigFile, type Settings } from './config/index.ts';
import { discovery } from './discovery/index.ts';
import { createHttpApp, type RequestState } from './http/app.ts';
import { NO_SCRIPTS, REGISTRATION_PATH, registrationRouter, type RegistrationPolicy, type RegistrationServices } from './registration/index.ts';
import { loadEncryptionKey, SecretBox } from './secrets/index.ts';
import { EmbeddedStore, type ClientStore } from './store/index.ts';

export interface RegistrarOptions {
  settings: Settings;
  /** Configuration properties over the defaults (default: the DCR_CONFIG file). */
  properties?: Record<string, unknown>;
  logger?: Logger;
  store?: ClientStore;
  policy?: RegistrationPolicy;
  clock?: () => number;
}

export interface Registrar {
  app: Koa<RequestState>;
  config: ConfigHolder;
  store: ClientStore;
  logger: Logger;
  listen(): Promise<Server>;
  close(): Promise<void>;
}

/** How often expired clients are purged from the store (they are refused before that too). */
const PURGE_INTERVAL_MS = 60_000;

export function createRegistrar(options: RegistrarOptions): Registrar {
  const { settings } = options;
  const logger = options.logger ?? pino({ level: settings.logLevel });
  const config = new ConfigHolder(buildConfig(options.properties ?? loadConfigFile(settings.configFile)));
  const store = options.store ?? new EmbeddedStore(settings.dataDir);
  const key = loadEncryptionKey(settings.encryptionKey, settings.dataDir, (message) => logger.warn(message));
  const clock = options.clock ?? Date.now;
  const registrationEndpoint = `${settings.issuer}${REGISTRATION_PATH}`;
  const services: RegistrationServices = {
    config,
    store,
    secrets: new SecretBox(key),
    policy: options.policy ?? NO_SCRIPTS,
    clock,
    registrationEndpoint,
  };

  const router = new Router<RequestState>();
  const wellKnown = discovery(settings.issuer, registrationEndpoint, config);
  router.get('/.well-known/openid-configuration', wellKnown);
  router.get('/.well-known/oauth-authorization-server', wellKnown);
  router.use(registrationRouter(services).routes());
  const app = createHttpApp(logger, router);

  let server: Server | undefined;
  let purge: NodeJS.Timeout | undefined;
  return {
    app,
    config,
    store,
    logger,
    listen() {
      return new Promise((resolve, reject) => {
        const listening = app.listen(settings.port, settings.host);
        listening.once('error', reject);
        listening.once('listening', () => {
          server = listening;
          purge = setInterval(() => {
            store.purgeExpired(clock()).catch((err: unknown) => logger.warn({ err }, 'purging expired clients failed'));
          }, PURGE_INTERVAL_MS).unref();
          resolve(listening);
        });
      });
    },
    async close() {
      clearInterval(purge);
      if (server) {
        const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await closing;
      }
      await store.close();
    },
  };
}
