// Registrar's composition root: builds the services and the Koa application from settings and
// configuration. core/main.ts runs it as a process; tests run it in-process.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Router from '@koa/router';
import type Koa from 'koa';
import { createLogger, type Logger } from './log/index.ts';
import { BUILTIN_PLUGINS } from '../plugins/index.ts';
import { AuthorizationServerLink, Reconciler } from './authorization/index.ts';
import { adminRouter, AdminTokens, replay, followStoredConfig, Metrics, seedAdminClient, settleConfiguration, type ScriptsState } from './admin/index.ts';
import { buildConfig, ConfigHolder, loadConfigFile, type Settings } from './config/index.ts';
import { discovery } from './discovery/index.ts';
import { createHttpApp, type RequestState } from './http/app.ts';
import { drainable, type Drainable } from './http/drain.ts';
import { outboundPolicy } from './outbound/index.ts';
import { pluginServices } from './plugin/index.ts';
import type { PolicyEngine } from './policy/index.ts';
import { DecisionWriter, purgeInactive, recheckAddresses, REGISTRATION_PATH, registrationRouter, type RecheckReport, type RegistrationServices } from './registration/index.ts';
import { MemoryBudget, ScriptHost, watchScripts } from './sandbox/index.ts';
import { hkdfSync, randomUUID } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { loadEncryptionKey, SecretBox } from './secrets/index.ts';
import { embeddedStore, type ClientStore } from './store/index.ts';
import { RemoteKeySets } from './trust/index.ts';

export interface RegistrarOptions {
  settings: Settings;
  /**
   * Configuration properties over the defaults, used as they are (tests). Without them the
   * configuration comes from the store, and a DCR_CONFIG file, when given, replaces it there.
   */
  properties?: Record<string, unknown>;
  logger?: Logger;
  store?: ClientStore;
  /** Replaces the script host as the policy engine (tests of the pipeline alone). */
  policy?: PolicyEngine;
  /** Watch the scripts folder for changes (default true). */
  watch?: boolean;
  /**
   * One of several worker processes on one port (DCR_WORKERS): it binds its own socket with
   * SO_REUSEPORT, and runs the background jobs only once told to (`runBackgroundJobs`).
   */
  worker?: boolean;
  clock?: () => number;
}

export interface Registrar {
  app: Koa<RequestState>;
  config: ConfigHolder;
  store: ClientStore;
  scripts: ScriptHost;
  services: RegistrationServices;
  reconciler: Reconciler;
  metrics: Metrics;
  logger: Logger;
  /** Settles the configuration, loads the scripts, starts watching them, then listens. */
  listen(): Promise<Server>;
  /** Starts the purges and the reconciler (listen() does, except in a worker process). */
  runBackgroundJobs(): void;
  /** Deletes now what the background job deletes every minute: expired clients, clients unused too long, decision records older than decisionLogRetentionDays. */
  purge(): Promise<PurgeReport>;
  /** Resolves the hosts of every stored client's dereferenced URIs again now (the background job does every addressRecheckIntervalSeconds). */
  recheckAddresses(): Promise<RecheckReport>;
  /** Resolves when every decision record of finished requests is written. */
  flushDecisions(): Promise<void>;
  close(): Promise<void>;
}

/** What one purge deleted. */
export interface PurgeReport {
  expiredClients: number;
  inactiveClients: number;
  decisionRecords: number;
}

/** How often expired clients are purged from the store (they are refused before that too). */
const PURGE_INTERVAL_MS = 60_000;

export function createRegistrar(options: RegistrarOptions): Registrar {
  const { settings } = options;
  const logger = options.logger ?? createLogger(settings.logLevel);
  const fileProperties = options.properties ?? loadConfigFile(settings.configFile);
  const config = new ConfigHolder(buildConfig(fileProperties));
  const store = options.store ?? embeddedStore(settings, logger);
  const key = loadEncryptionKey(settings.encryptionKey, settings.dataDir, (message) => logger.warn(message));
  const clock = options.clock ?? Date.now;
  const registrationEndpoint = `${settings.issuer}${REGISTRATION_PATH}`;
  const keySets = new RemoteKeySets(() => ({
    outbound: outboundPolicy(config.current),
    maxAgeMs: config.current.jwksCacheMaxAgeSeconds * 1000,
    cooldownMs: config.current.jwksRefetchCooldownSeconds * 1000,
    maxEntries: config.current.jwksCacheMaxEntries,
    maxBytes: config.current.jwksCacheMaxBytes,
  }), clock);
  const metrics = new Metrics();
  // Every script host of the process (the live one, replays' scratch ones) shares one isolate heap budget.
  const sandboxMemory = new MemoryBudget(settings.sandboxMemoryMb);
  const scripts = new ScriptHost({
    dir: settings.scriptsDir,
    holdMs: settings.scriptsHoldMs,
    memory: sandboxMemory,
    logger,
    plugins: BUILTIN_PLUGINS,
    services: pluginServices({ logger, store, config, clock, keySets, filesDir: settings.pluginFilesDir }),
    onCall: ({ script, hook, ms }) => metrics.observeHook(script, hook, ms / 1000),
    onShadow: ({ script, hook, verdict }) => metrics.shadowDecisions.inc({ script, hook, verdict }),
    onPluginCall: ({ script, plugin, fn, outcome, ms }) => {
      metrics.pluginCalls.inc({ script, plugin, function: fn, outcome });
      metrics.pluginDuration.observe({ script, plugin }, ms / 1000);
    },
  });
  for (const result of ['loaded', 'failed', 'unloaded'] as const) {
    scripts.on(result, ({ name }: { name: string }) => metrics.reloads.inc({ script: name, result }));
  }
  scripts.on('restarted', ({ name }: { name: string }) => metrics.restarts.inc({ script: name }));
  // Administration tokens are signed with a key derived from the encryption key: every
  // instance sharing DCR_ENCRYPTION_KEY accepts every instance's tokens.
  const tokens = new AdminTokens(
    new Uint8Array(hkdfSync('sha256', key, Buffer.alloc(0), 'registrar admin access tokens', 32)),
    settings.issuer,
    clock,
    () => config.current.adminAccessTokenLifetimeSeconds,
  );
  const secrets = new SecretBox(key);
  const policy = options.policy ?? scripts;
  const authorizationServer = new AuthorizationServerLink({
    config,
    issuer: settings.issuer,
    registrationEndpoint,
    secrets,
    logger,
    onCall: (operation, outcome) => metrics.serverCalls.inc({ operation, outcome }),
    onReachable: (reachable) => metrics.serverUp.set(reachable ? 1 : 0),
    // Where the background jobs run (one process of several with DCR_WORKERS): every worker sees the change.
    onConnect: () => purge !== undefined && void reconciler.run('configuration'),
  });
  config.onReplace(() => authorizationServer.followConfiguration());
  const reconciler = new Reconciler({
    link: authorizationServer,
    store,
    policy,
    logger,
    clock,
    onRun: (report) => metrics.observeSync(report),
  });
  const services: RegistrationServices = {
    config,
    store,
    keySets,
    secrets,
    policy,
    clock,
    authorizationServer,
    registrationEndpoint,
  };

  // Replay's scratch hosts: the same plugins over services that only read (no network).
  const refused = () => Promise.reject(new Error('network fetches are refused during a replay'));
  const replayServices = { ...pluginServices({ logger, store, config, clock, keySets, filesDir: settings.pluginFilesDir }), fetchJson: refused, keySets: { get: refused } };
  // Each scratch host has a scope of its own: plugins keep nothing it shares with the live scripts.
  const scratchHost = (dir: string) => new ScriptHost({ dir, scope: `replay-${randomUUID()}`, memory: sandboxMemory, logger: logger.child({ component: 'replay' }), plugins: BUILTIN_PLUGINS, services: replayServices });

  const router = new Router<RequestState>();
  const wellKnown = discovery(settings.issuer, registrationEndpoint, async () => {
    const supported = await authorizationServer.settledConfig();
    if (!authorizationServer.server) return { config: supported, server: undefined };
    const shared = authorizationServer.topology?.kind === 'shared-issuer';
    return { config: supported, server: { document: shared ? authorizationServer.metadata?.document : undefined } };
  });
  router.get('/.well-known/openid-configuration', wellKnown);
  router.get('/.well-known/oauth-authorization-server', wellKnown);
  const decisions = new DecisionWriter(store, logger);
  let scriptsState: ScriptsState = 'loading';
  router.use(registrationRouter(services, decisions, (record) => metrics.registrations.inc({ operation: record.operation, outcome: record.outcome })).routes());
  router.use(
    adminRouter({
      services,
      scripts,
      tokens,
      metrics,
      reconciler,
      decisions,
      replay: (name, request) => replay(services, settings.scriptsDir, scratchHost, name, request),
      issuer: settings.issuer,
      scriptsState: () => scriptsState,
    }).routes(),
  );
  const app = createHttpApp(logger, router, (route, method, status) => metrics.requests.inc({ route, method, status: String(status) }));

  /** Aborted when the process stops: background work under way stops at its next step. */
  const stopping = new AbortController();
  let drain: Drainable | undefined;
  let purge: NodeJS.Timeout | undefined;
  let watcher: ReturnType<typeof watchScripts> | undefined;
  let stopFollowing: (() => void) | undefined;
  const recheck = async () => {
    const report = await recheckAddresses(services, logger, stopping.signal);
    metrics.observeRecheck(report);
    return report;
  };
  // Retention is judged now, by the setting in force now: lowering it takes effect at the next purge.
  const purgeNow = async (): Promise<PurgeReport> => {
    const now = clock();
    const [expiredClients, decisionRecords, inactiveClients] = await Promise.all([
      store.purgeExpired(now),
      store.purgeDecisions(now - config.current.decisionLogRetentionDays * 86_400_000),
      purgeInactive(services, now),
    ]);
    return { expiredClients, inactiveClients, decisionRecords };
  };
  const runBackgroundJobs = () => {
    if (purge) return;
    // In the background: a server that is down at start must not keep Registrar from serving.
    reconciler.start(() => config.current.authorizationServerSyncIntervalSeconds);
    let lastRecheck = clock();
    let rechecking = false;
    purge = setInterval(() => {
      purgeNow().then(
        ({ inactiveClients }) => inactiveClients > 0 && logger.info({ deleted: inactiveClients }, 'deleted clients unused for dynamicClientInactivityExpirationDays'),
        (err: unknown) => logger.warn({ err }, 'purging expired clients, inactive clients and decision records failed'),
      );
      const every = config.current.addressRecheckIntervalSeconds * 1000;
      if (every > 0 && !rechecking && clock() - lastRecheck >= every) {
        rechecking = true;
        lastRecheck = clock();
        recheck()
          .catch((err: unknown) => logger.warn({ err }, 're-checking the addresses of client URIs failed'))
          .finally(() => (rechecking = false));
      }
    }, PURGE_INTERVAL_MS).unref();
  };
  return {
    app,
    config,
    store,
    scripts,
    services,
    reconciler,
    metrics,
    logger,
    flushDecisions: () => decisions.settle(),
    purge: purgeNow,
    async listen() {
      if (!options.properties) {
        await settleConfiguration(store, config, fileProperties, settings.configFile !== undefined, clock, logger);
        stopFollowing = followStoredConfig(config, store, () => config.current.configRefreshIntervalSeconds * 1000, (err) =>
          logger.warn({ err: (err as Error).message }, 'reading the stored configuration failed'),
        );
      }
      // The authorization server's metadata is read now, so discovery and readiness have it soon.
      authorizationServer.followConfiguration();
      if (settings.adminClient) await seedAdminClient(store, settings.adminClient, clock);
      else if (!(await store.hasAdminClients())) {
        logger.warn('no administration client exists: set DCR_ADMIN_CLIENT_ID and DCR_ADMIN_CLIENT_SECRET to create one (the administration API is closed until then)');
      }
      const scriptsPresent = checkScriptsDir(settings);
      await scripts.loadAll();
      scriptsState = scriptsPresent ? 'loaded' : 'none';
      if (options.watch !== false) {
        watcher = watchScripts(scripts, { polling: settings.scriptsPolling, logger });
        await watcher.ready;
      }
      if (!options.worker) runBackgroundJobs();
      return new Promise((resolve, reject) => {
        const handler = app.callback();
        // A slow client (headers or body) is answered 408 and cut once requestTimeoutMs has passed.
        const timing = { requestTimeout: settings.requestTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(1000, settings.requestTimeoutMs)) };
        const listening = settings.tls
          ? // Ask for a client certificate, reject none at the TLS layer: registration policy decides.
            createHttpsServer({ ...settings.tls, ...timing, requestCert: true, rejectUnauthorized: false }, handler)
          : createHttpServer(timing, handler);
        // A worker binds a socket of its own beside its siblings' (the kernel spreads connections), not the supervisor's.
        listening.listen({ port: settings.port, host: settings.host, ...(options.worker ? { exclusive: true, reusePort: true } : {}) });
        listening.once('error', reject);
        listening.once('listening', () => {
          drain = drainable(listening);
          resolve(listening);
        });
      });
    },
    runBackgroundJobs,
    recheckAddresses: recheck,
    async close() {
      clearInterval(purge);
      stopping.abort();
      await reconciler.stop();
      stopFollowing?.();
      await watcher?.close();
      if (drain && !(await drain.drain(settings.shutdownTimeoutMs))) {
        logger.warn({ deadlineMs: settings.shutdownTimeoutMs }, 'requests still open at the shutdown deadline were cut');
      }
      // Requests have finished: no call is pending on an isolate when they go.
      await scripts.close();
      await decisions.settle();
      await store.close();
    },
  };
}

/**
 * Whether the scripts folder is there. A missing or unreadable one stops the start (a typo must
 * not silently remove every policy) unless DCR_SCRIPTS_OPTIONAL says running without is intended.
 */
function checkScriptsDir(settings: Settings): boolean {
  try {
    if (!statSync(settings.scriptsDir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(settings.scriptsDir, constants.R_OK | constants.X_OK);
    return true;
  } catch (err) {
    if (settings.scriptsOptional) return false;
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new TypeError(`DCR_SCRIPTS_DIR: ${settings.scriptsDir} cannot be read (${reason}); create it, or set DCR_SCRIPTS_OPTIONAL=true to run without scripts`);
  }
}
