// Prometheus metrics (prom-client), one registry per server: requests by route and status,
// registrations by operation and outcome, hook latency by script and hook, script reloads and
// sandbox restarts, calls to the authorization server and reconciler runs, plus Node's default
// process metrics.
import type { EventEmitter } from 'node:events';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LinkOptions, SyncReport } from '../authorization/index.ts';
import type { RecheckReport } from '../registration/index.ts';
import type { ScriptHostOptions } from '../sandbox/index.ts';
import type { DecisionRecord } from '../store/index.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'registrar_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  readonly registrations = new Counter({
    name: 'registrar_registration_requests_total',
    help: 'Requests on the registration endpoints by operation and outcome (ok or the error code).',
    labelNames: ['operation', 'outcome'],
    registers: [this.registry],
  });
  readonly hookDuration = new Histogram({
    name: 'registrar_script_hook_duration_seconds',
    help: 'Script hook call latency by script and hook.',
    labelNames: ['script', 'hook'],
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
    registers: [this.registry],
  });
  readonly reloads = new Counter({ name: 'registrar_script_reloads_total', help: 'Script activations by script and result (loaded, failed, unloaded).', labelNames: ['script', 'result'], registers: [this.registry] });
  readonly pluginCalls = new Counter({
    name: 'registrar_plugin_calls_total',
    help: 'Plugin calls by script, plugin, function and outcome (ok, error, refused: arguments, calls in flight or time budget).',
    labelNames: ['script', 'plugin', 'function', 'outcome'],
    registers: [this.registry],
  });
  readonly pluginDuration = new Histogram({
    name: 'registrar_plugin_call_duration_seconds',
    help: 'Plugin call latency by script and plugin.',
    labelNames: ['script', 'plugin'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly serverCalls = new Counter({
    name: 'registrar_authorization_server_calls_total',
    help: 'Calls to the authorization server by operation (create, update, delete, get, list, token, scopes, ping) and outcome (ok, refused, unavailable).',
    labelNames: ['operation', 'outcome'],
    registers: [this.registry],
  });
  // Across worker processes: up only when every one reaches the server; the latest run.
  readonly serverUp = new Gauge({ name: 'registrar_authorization_server_up', help: '1 when the last call to the authorization server got an answer, 0 when it could not be had.', aggregator: 'min', registers: [this.registry] });
  readonly syncRuns = new Counter({ name: 'registrar_authorization_server_sync_runs_total', help: 'Reconciler runs by outcome (ok, failed, skipped).', labelNames: ['outcome'], registers: [this.registry] });
  readonly syncChanges = new Counter({
    name: 'registrar_authorization_server_sync_changes_total',
    help: 'Clients the reconciler created, updated or deleted at the authorization server, or failed to.',
    labelNames: ['change'],
    registers: [this.registry],
  });
  readonly syncLastRun = new Gauge({ name: 'registrar_authorization_server_sync_last_run_timestamp_seconds', help: 'When the reconciler last finished a run.', aggregator: 'max', registers: [this.registry] });
  readonly syncCalls = new Gauge({
    name: 'registrar_authorization_server_sync_last_run_calls',
    help: "Calls the reconciler's last run made to the authorization server (bounded by the clients there and in the store).",
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly shadowDecisions = new Counter({
    name: 'registrar_shadow_decisions_total',
    help: 'Calls of scripts in shadow mode by script, hook and verdict (agreed, would-refuse, would-accept, would-change, failed); never applied.',
    labelNames: ['script', 'hook', 'verdict'],
    registers: [this.registry],
  });
  readonly privateAddressClients = new Gauge({
    name: 'registrar_clients_private_address',
    help: 'Clients whose dereferenced URIs resolved to a private address at the last address re-check.',
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly restarts = new Counter({ name: 'registrar_sandbox_restarts_total', help: 'Isolates rebuilt after a time or memory limit, by script.', labelNames: ['script'], registers: [this.registry] });

  readonly #hookTimers = new Map<string, { observe(value: number): void }>();
  #exposition: () => Promise<string> = () => this.registry.metrics();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'registrar_' });
  }

  /** The exposition served at /metrics: this registry's, or (worker processes) every worker's gathered. */
  text(): Promise<string> {
    return this.#exposition();
  }

  exposeFrom(source: () => Promise<string>): void {
    this.#exposition = source;
  }

  /** One reconciler run: its outcome, what it changed, its calls, when it ended. */
  observeSync(report: SyncReport): void {
    this.syncRuns.inc({ outcome: report.outcome });
    for (const change of ['created', 'updated', 'deleted', 'failed'] as const) if (report[change] > 0) this.syncChanges.inc({ change }, report[change]);
    this.syncCalls.set(report.calls);
    this.syncLastRun.set(Date.parse(report.finishedAt) / 1000);
  }

  /** What the script host tells about calls, shadow verdicts and plugin calls. */
  scriptObservers(): Pick<ScriptHostOptions, 'onCall' | 'onShadow' | 'onPluginCall'> {
    return {
      onCall: ({ script, hook, ms }) => this.observeHook(script, hook, ms / 1000),
      onShadow: ({ script, hook, verdict }) => this.shadowDecisions.inc({ script, hook, verdict }),
      onPluginCall: ({ script, plugin, fn, outcome, ms }) => {
        this.pluginCalls.inc({ script, plugin, function: fn, outcome });
        this.pluginDuration.observe({ script, plugin }, ms / 1000);
      },
    };
  }

  /** Counts the script host's activations and isolate restarts. */
  followScripts(host: EventEmitter): void {
    for (const result of ['loaded', 'failed', 'unloaded'] as const) host.on(result, ({ name }: { name: string }) => this.reloads.inc({ script: name, result }));
    host.on('restarted', ({ name }: { name: string }) => this.restarts.inc({ script: name }));
  }

  /** What the authorization server link tells about its calls and reachability. */
  serverObservers(): Pick<LinkOptions, 'onCall' | 'onReachable'> {
    return {
      onCall: (operation, outcome) => this.serverCalls.inc({ operation, outcome }),
      onReachable: (reachable) => this.serverUp.set(reachable ? 1 : 0),
    };
  }

  observeRegistration(record: DecisionRecord): void {
    this.registrations.inc({ operation: record.operation, outcome: record.outcome });
  }

  observeRequest(route: string, method: string, status: number): void {
    this.requests.inc({ route, method, status: String(status) });
  }

  observeRecheck(report: RecheckReport): void {
    this.privateAddressClients.set(report.flagged);
  }

  /** Per (script, hook) child kept, so a call does not hash its labels again. */
  observeHook(script: string, hook: string, seconds: number): void {
    const key = `${script}\0${hook}`;
    let timer = this.#hookTimers.get(key);
    if (!timer) this.#hookTimers.set(key, (timer = this.hookDuration.labels(script, hook)));
    timer.observe(seconds);
  }
}
