// Registrar's composition root: builds the services and the Koa application from settings and
// configuration, in named steps that read top to bottom (foundations, policy, the authorization
// server, the registration services, background jobs, HTTP), then the process's life: listen and
// close. core/main.ts runs it as a process; tests run it in-process.
import { hkdfSync, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import Router from '@koa/router';
import type Koa from 'koa';
import { BUILTIN_PLUGINS } from '../plugins/index.ts';
import { adminRouter, AdminTokens, followStoredConfig, Metrics, replay, seedAdminClient, settleConfiguration, type FleetAccess, type ScriptsState } from './admin/index.ts';
import { AuthorizationServerLink, Reconciler } from './authorization/index.ts';
import { buildConfig, ConfigHolder, loadConfigFile, type AuthorizationServerSettings, type Settings } from './config/index.ts';
import { discovery } from './discovery/index.ts';
import { FleetReporter } from './fleet/index.ts';
import { createHttpApp, listen, type Drainable, type RequestState } from './http/index.ts';
import { backgroundJobs, type PurgeReport } from './jobs/index.ts';
import { createLogger, type Logger } from './log/index.ts';
import { outboundPolicy } from './outbound/index.ts';
import { pluginServices } from './plugin/index.ts';
import type { PolicyEngine } from './policy/index.ts';
import { DecisionWriter, REGISTRATION_PATH, registrationRouter, type RecheckReport, type RegistrationServices } from './registration/index.ts';
import { MemoryBudget, ScriptHost, watchScripts } from './sandbox/index.ts';
import { loadEncryptionKey, parseKey, SecretBox } from './secrets/index.ts';
import { embeddedStore, tracedStore, type ProcessReport, type Store } from './store/index.ts';
import { tracingEnabled } from './tracing/index.ts';
import { RemoteKeySets } from './trust/index.ts';

export interface RegistrarOptions {
  settings: Settings;
  /**
   * Configuration properties over the defaults, used as they are (tests). Without them the
   * configuration comes from the store, and a DCR_CONFIG file, when given, replaces it there.
   */
  properties?: Record<string, unknown>;
  logger?: Logger;
  store?: Store;
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
  store: Store;
  scripts: ScriptHost;
  services: RegistrationServices;
  reconciler: Reconciler;
  metrics: Metrics;
  logger: Logger;
  /** Settles the configuration, loads the scripts, starts watching them and the background jobs, without listening: for an application that serves `app` itself. */
  start(): Promise<void>;
  /** start(), then listens on the settings' port (HTTP, or HTTPS with DCR_TLS_*). */
  listen(): Promise<Server>;
  /** Reads the stored configuration now (another process changed it), rather than at the next interval. */
  refreshConfiguration(): Promise<void>;
  /** What the start-up line says after listening: the store, the authorization server, the scripts, where the configuration came from. */
  summary(): string;
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

// What an application embedding Registrar needs beside createRegistrar.
export { readSettings, type Settings } from './config/index.ts';
export { openStore, type Store } from './store/index.ts';
export { enableTracing } from './tracing/index.ts';

export type { PurgeReport } from './jobs/index.ts';

export function createRegistrar(options: RegistrarOptions): Registrar {
  const base = foundations(options);
  const policy = policyHost(base, options);
  const authorization = authorizationServer(base, policy.engine);
  const services = registrationServices(base, policy.engine, authorization.link);
  const jobs = backgroundJobs({
    services,
    decisions: base.store.decisions,
    fleet: base.store.fleet,
    ...authorization,
    logger: base.logger,
    rotating: base.rotating,
    onRecheck: (report) => base.metrics.observeRecheck(report),
  });
  const fleet = fleetReporting(base, policy.scripts, authorization.link, options.worker === true);
  const http = httpApplication(base, services, policy, authorization.reconciler, fleet.access);
  const { settings, logger, config, store, metrics, clock } = base;
  let following: ReturnType<typeof followStoredConfig> | undefined;
  let watcher: ReturnType<typeof watchScripts> | undefined;
  let drain: Drainable | undefined;
  let configurationOrigin = 'given in-process';

  /** Settles the configuration, seeds the administration client, loads the scripts, starts watching them and the background jobs: all but listening. */
  async function start(): Promise<void> {
    if (!options.properties) {
      const file = settings.configFile ? { path: settings.configFile, properties: base.fileProperties } : undefined;
      configurationOrigin = await settleConfiguration(store.configuration, config, file, clock, logger);
      following = followStoredConfig(config, store.configuration, () => config.current.configRefreshIntervalSeconds * 1000, (err) =>
        logger.warn({ err }, 'reading the stored configuration failed'),
      );
    }
    // The authorization server's metadata is read now, so discovery and readiness have it soon.
    authorization.link.followConfiguration();
    if (settings.adminClient) await seedAdminClient(store.administration, settings.adminClient, clock);
    else if (!(await store.administration.hasAdminClients())) {
      logger.warn('no administration client exists: set DCR_ADMIN_CLIENT_ID and DCR_ADMIN_CLIENT_SECRET to create one (the administration API is closed until then)');
    }
    http.scriptsState = (await policy.scripts.loadAtStart(settings.scriptsOptional)) ? 'loaded' : 'none';
    if (options.watch !== false) {
      watcher = watchScripts(policy.scripts, { polling: settings.scriptsPolling, logger });
      await watcher.ready;
    }
    if (!options.worker) jobs.start();
    fleet.reporter.start();
  }

  return {
    app: http.app,
    config,
    store,
    scripts: policy.scripts,
    services,
    reconciler: authorization.reconciler,
    metrics,
    logger,
    flushDecisions: () => http.decisions.settle(),
    purge: jobs.purge,
    runBackgroundJobs: () => {
      fleet.lead();
      jobs.start();
    },
    refreshConfiguration: async () => {
      await following?.now();
    },
    summary: () => startSummary(store, config.current.authorizationServer, policy.scripts, configurationOrigin),
    recheckAddresses: jobs.recheck,
    start,
    async listen() {
      await start();
      const listening = await listen(http.app.callback(), {
        port: settings.port,
        host: settings.host,
        requestTimeoutMs: settings.requestTimeoutMs,
        tls: settings.tls,
        reusePort: options.worker === true,
      });
      drain = listening.drain;
      return listening.server;
    },

    async close() {
      await jobs.stop();
      await fleet.reporter.stop();
      following?.stop();
      await watcher?.close();
      if (drain && !(await drain.drain(settings.shutdownTimeoutMs))) {
        logger.warn({ deadlineMs: settings.shutdownTimeoutMs }, 'requests still open at the shutdown deadline were cut');
      }
      // Requests have finished: no call is pending on an isolate when they go.
      await policy.scripts.close();
      await http.decisions.settle();
      await store.close();
    },
  };
}

/** The start-up line's facts: what a new operator needs to know is connected, loaded and configured. */
function startSummary(store: Store, server: AuthorizationServerSettings | null, scripts: ScriptHost, configuration: string): string {
  const states = scripts.versions().map((script) => script.state);
  const notInForce = scripts.notInForce();
  const count = (state: string) => states.filter((each) => each === state).length;
  const scriptsText = [
    `${count('active')} in force`,
    ...(notInForce.length > 0 ? [`${notInForce.length} NOT in force (${notInForce.join(', ')})`] : []),
    ...(count('disabled') > 0 ? [`${count('disabled')} off`] : []),
  ].join(', ');
  const serverText = !server ? 'none' : server.type === 'keycloak' ? `keycloak ${server.url} realm ${server.realm}` : server.type === 'hydra' ? `hydra ${server.adminUrl}` : `oidc-provider ${server.issuer ?? server.metadataUrl ?? ''}`.trim();
  return `store ${store.kind} ${store.location}; authorization server ${serverText}; scripts ${scriptsText} in ${scripts.dir}; configuration ${configuration}`;
}

type Foundations = ReturnType<typeof foundations>;

/** Settings, logs, configuration, the store, keys and the shared caches every later step uses. */
function foundations(options: RegistrarOptions) {
  const { settings } = options;
  const logger = options.logger ?? createLogger(settings.logLevel);
  const fileProperties = options.properties ?? loadConfigFile(settings.configFile);
  const config = new ConfigHolder(buildConfig(fileProperties));
  const opened = options.store ?? embeddedStore(settings, logger);
  const store = tracingEnabled() ? tracedStore(opened) : opened;
  const key = loadEncryptionKey(settings.encryptionKey, settings.dataDir, (message) => logger.warn(message));
  const clock = options.clock ?? Date.now;
  const keySets = new RemoteKeySets(
    () => ({
      outbound: outboundPolicy(config.current),
      maxAgeMs: config.current.jwksCacheMaxAgeSeconds * 1000,
      cooldownMs: config.current.jwksRefetchCooldownSeconds * 1000,
      maxEntries: config.current.jwksCacheMaxEntries,
      maxBytes: config.current.jwksCacheMaxBytes,
    }),
    clock,
  );
  const previous = settings.encryptionKeysPrevious.map((text, index) => parseKey(text, `DCR_ENCRYPTION_KEY_PREVIOUS (key ${index + 1})`));
  return { settings, logger, fileProperties, config, store, key, secrets: new SecretBox(key, previous), rotating: previous.length > 0, clock, keySets, metrics: new Metrics() };
}

/** The script host (the policy engine unless a test gives another), and replay's scratch hosts beside it. */
function policyHost(base: Foundations, options: RegistrarOptions) {
  const { settings, logger, config, store, clock, keySets, metrics } = base;
  // Every script host of the process (the live one, replays' scratch ones) shares one isolate heap budget.
  const memory = new MemoryBudget(settings.sandboxMemoryMb);
  const plugins = pluginServices({ logger, clients: store.clients, config, clock, keySets, filesDir: settings.pluginFilesDir });
  const scripts = new ScriptHost({ dir: settings.scriptsDir, holdMs: settings.scriptsHoldMs, memory, logger, plugins: BUILTIN_PLUGINS, services: plugins, ...metrics.scriptObservers() });
  metrics.followScripts(scripts);
  // Replay's scratch hosts: the same plugins over services that only read (no network), each in a
  // plugin scope of its own, so they keep nothing the live scripts share.
  const refused = () => Promise.reject(new Error('network fetches are refused during a replay'));
  const replayServices = { ...plugins, fetchJson: refused, keySets: { get: refused } };
  const replayLogger = logger.child({ component: 'replay' });
  const scratchHost = (dir: string) => new ScriptHost({ dir, scope: `replay-${randomUUID()}`, memory, logger: replayLogger, plugins: BUILTIN_PLUGINS, services: replayServices });
  return { scripts, scratchHost, engine: options.policy ?? scripts };
}

/** The authorization server clients are for: the link every change goes through, and the reconciler. */
function authorizationServer(base: Foundations, policy: PolicyEngine) {
  const { settings, logger, config, store, clock, secrets, metrics } = base;
  const link = new AuthorizationServerLink({ config, issuer: settings.issuer, registrationEndpoint: `${settings.issuer}${REGISTRATION_PATH}`, secrets, logger, ...metrics.serverObservers() });
  config.onReplace(() => link.followConfiguration());
  const reconciler = new Reconciler({ link, clients: store.clients, policy, logger, clock, onRun: (report) => metrics.observeSync(report) });
  return { link, reconciler };
}

function registrationServices(base: Foundations, policy: PolicyEngine, link: AuthorizationServerLink): RegistrationServices {
  const { settings, config, store, keySets, secrets, clock } = base;
  return {
    config,
    clients: store.clients,
    quotas: store.quotas,
    administration: store.administration,
    keySets,
    secrets,
    policy,
    clock,
    authorizationServer: link,
    registrationEndpoint: `${settings.issuer}${REGISTRATION_PATH}`,
  };
}

/** This process's reports to the fleet view: at start, at every change of what it runs, and at every interval. */
function fleetReporting(base: Foundations, scripts: ScriptHost, link: AuthorizationServerLink, worker: boolean) {
  const { config, store, clock, logger } = base;
  let role: ProcessReport['role'] = worker ? 'worker' : 'process';
  const intervalMs = () => config.current.fleetReportIntervalSeconds * 1000;
  const reporter = new FleetReporter({
    fleet: store.fleet,
    clock,
    logger,
    intervalMs,
    state: () => ({
      role,
      configurationRevision: config.revision,
      scripts: scripts.versions(),
      authorizationServer: { type: link.server?.type ?? null, reachable: link.reachable ?? null, topology: link.topology?.kind ?? null },
    }),
  });
  config.onReplace(() => reporter.changed());
  for (const event of ['loaded', 'failed', 'unloaded'] as const) scripts.on(event, () => reporter.changed());
  link.whenConnected(() => reporter.changed());
  return {
    reporter,
    access: { records: store.fleet, intervalMs, clock },
    /** This worker runs the background jobs: it says so. */
    lead(): void {
      role = 'leader';
      reporter.changed();
    },
  };
}

/** The routes: discovery, registration, administration; and the Koa application around them. */
function httpApplication(base: Foundations, services: RegistrationServices, policy: ReturnType<typeof policyHost>, reconciler: Reconciler, fleet: FleetAccess) {
  const { settings, logger, config, store, key, clock, metrics } = base;
  const link = services.authorizationServer;
  // Administration tokens are signed with a key derived from the encryption key: every
  // instance sharing DCR_ENCRYPTION_KEY accepts every instance's tokens.
  const tokens = new AdminTokens(
    new Uint8Array(hkdfSync('sha256', key, Buffer.alloc(0), 'registrar admin access tokens', 32)),
    settings.issuer,
    clock,
    () => config.current.adminAccessTokenLifetimeSeconds,
  );
  const decisions = new DecisionWriter(store.decisions, logger);
  const router = new Router<RequestState>();
  const wellKnown = discovery(settings.issuer, services.registrationEndpoint, async () => {
    const supported = await link.settledConfig();
    if (!link.server) return { config: supported, server: undefined };
    const shared = link.topology?.kind === 'shared-issuer';
    return { config: supported, server: { document: shared ? link.metadata?.document : undefined } };
  });
  router.get('/.well-known/openid-configuration', wellKnown);
  router.get('/.well-known/oauth-authorization-server', wellKnown);
  router.use(registrationRouter(services, decisions, (record) => metrics.observeRegistration(record)).routes());
  const state = { scriptsState: 'loading' as ScriptsState };
  router.use(
    adminRouter({
      services,
      store,
      fleet,
      scripts: policy.scripts,
      tokens,
      metrics,
      reconciler,
      decisions,
      replay: (name, request) => replay(services, store.decisions, settings.scriptsDir, policy.scratchHost, name, request),
      issuer: settings.issuer,
      scriptsState: () => state.scriptsState,
    }).routes(),
  );
  const app = createHttpApp(logger, router, (route, method, status) => metrics.observeRequest(route, method, status));
  return {
    app,
    decisions,
    set scriptsState(value: ScriptsState) {
      state.scriptsState = value;
    },
  };
}
