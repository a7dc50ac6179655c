// The reconciler: brings the authorization server in line with the store. Clients missing there
// are created, changed ones updated, ones Registrar created and no longer holds (deleted,
// expired, or disabled at a server without an enabled flag) removed; a client Registrar did not
// create is never touched. It runs at start, every authorizationServerSyncIntervalSeconds, when
// the configuration names another server, and on demand; one run at a time per process.
import type { Logger } from 'pino';
import { messageOf } from '../errors/index.ts';
import type { PolicyEngine } from '../policy/index.ts';
import type { ClientRecords } from '../store/index.ts';
import type { AuthorizationServerLink } from './link.ts';
import { ServerCallError } from './types.ts';

export type SyncTrigger = 'start' | 'interval' | 'demand' | 'configuration';
export type SyncChange = 'created' | 'updated' | 'deleted' | 'failed';

export interface SyncReport {
  trigger: SyncTrigger;
  startedAt: string;
  finishedAt: string;
  /** `ok`; `failed` when the server could not be had (the run stopped); `skipped` with no server to push to. */
  outcome: 'ok' | 'failed' | 'skipped';
  error?: string;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: number;
  /** Calls the run made to the server (bounded by the clients there and in the store). */
  calls: number;
  /** The first changes of the run, client by client. */
  changes: Array<{ clientId: string; change: SyncChange; error?: string }>;
}

const LISTED_CHANGES = 100;
const PAGE = 500;

export interface ReconcilerOptions {
  link: AuthorizationServerLink;
  clients: ClientRecords;
  policy: PolicyEngine;
  logger: Logger;
  clock: () => number;
  onRun?: (report: SyncReport) => void;
}

export class Reconciler {
  readonly #options: ReconcilerOptions;
  #running: Promise<SyncReport> | undefined;
  #last: SyncReport | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Aborted when the process stops: a run under way stops at its next call. */
  readonly #stopping = new AbortController();

  constructor(options: ReconcilerOptions) {
    this.#options = options;
  }

  get last(): SyncReport | undefined {
    return this.#last;
  }

  /** One run; a run already under way is joined rather than doubled. */
  run(trigger: SyncTrigger): Promise<SyncReport> {
    this.#running ??= this.#run(trigger).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Runs now, then every `intervalSeconds()` (0: the interval is off; checked again a minute later). */
  start(intervalSeconds: () => number): void {
    const tick = (trigger: SyncTrigger) => {
      const seconds = intervalSeconds();
      const run = seconds > 0 || trigger === 'start' ? this.run(trigger) : Promise.resolve(undefined);
      void run.finally(() => {
        if (!this.#stopping.signal.aborted) this.#timer = setTimeout(() => tick('interval'), (intervalSeconds() || 60) * 1000).unref();
      });
    };
    tick('start');
  }

  /** Stops the interval and cuts a run under way short; resolves when it has ended. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  async #run(trigger: SyncTrigger): Promise<SyncReport> {
    const { link, clock, logger } = this.#options;
    const report: SyncReport = { trigger, startedAt: new Date(clock()).toISOString(), finishedAt: '', outcome: 'ok', created: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0, calls: 0, changes: [] };
    const note = (clientId: string, change: SyncChange, error?: string) => {
      report[change === 'failed' ? 'failed' : change]++;
      if (report.changes.length < LISTED_CHANGES) report.changes.push({ clientId, change, ...(error ? { error } : {}) });
    };
    // The server's discovery document is read again beside the run, not in it: nothing here needs
    // it, and a stop must not wait on a read the run cannot cut short.
    if (link.server) void link.refreshMetadata();
    const { calls } = await link.scoped(this.#stopping.signal, () => this.#reconcile(report, note));
    report.calls = calls;
    report.finishedAt = new Date(clock()).toISOString();
    this.#last = report;
    const changed = report.created + report.updated + report.deleted;
    if (report.outcome === 'failed') logger.warn({ error: report.error }, 'reconciling the authorization server failed');
    else if (changed > 0 || report.failed > 0) logger.info({ trigger, created: report.created, updated: report.updated, deleted: report.deleted, failed: report.failed }, 'reconciled the authorization server');
    this.#options.onRun?.(report);
    return report;
  }

  async #reconcile(report: SyncReport, note: (clientId: string, change: SyncChange, error?: string) => void): Promise<void> {
    const { link, clients, policy, clock } = this.#options;
    const server = link.server;
    if (!server?.pushes) {
      report.outcome = 'skipped';
    } else {
      const requestPolicy = policy.forRequest({ requestId: `sync-${report.startedAt}` });
      const attempt = async (clientId: string, action: () => Promise<void>, change: SyncChange) => {
        try {
          await action();
          note(clientId, change);
        } catch (err) {
          // A server that cannot be had stops the run; a refusal of one client does not.
          if (!(err instanceof ServerCallError) || err.kind === 'unavailable') throw err;
          note(clientId, 'failed', err.message);
        }
      };
      try {
        const actual = await server.listManaged();
        for (let offset = 0; ; offset += PAGE) {
          const page = await clients.query({}, clock(), PAGE, offset);
          for (const listed of page) {
            const present = actual.get(listed.clientId);
            actual.delete(listed.clientId);
            if (link.changing(listed.clientId)) continue;
            const wanted = await link.wanted(server, listed, { operation: 'sync', requestId: `sync-${report.startedAt}`, policy: requestPolicy });
            const change: SyncChange | undefined = wanted ? (!present ? 'created' : server.differs(wanted, present) ? 'updated' : undefined) : present ? 'deleted' : undefined;
            if (!change) {
              report.unchanged++;
              continue;
            }
            // The page may be stale by now (the client changed or went meanwhile): act on the client as it is.
            const record = await clients.find(listed.clientId, clock());
            if (!record || link.changing(listed.clientId)) continue;
            const current = record.revision === listed.revision ? wanted : await link.wanted(server, record, { operation: 'sync', requestId: `sync-${report.startedAt}`, policy: requestPolicy });
            if (current) await attempt(record.clientId, () => (present ? server.update(current) : server.create(current)), present ? 'updated' : 'created');
            else if (present) await attempt(record.clientId, () => server.remove(record.clientId), 'deleted');
          }
          if (page.length < PAGE) break;
        }
        for (const clientId of actual.keys()) {
          // Registered while this run read the store: not an orphan.
          if (link.changing(clientId) || (await clients.find(clientId, clock()))) continue;
          await attempt(clientId, () => server.remove(clientId), 'deleted');
        }
      } catch (err) {
        report.outcome = 'failed';
        report.error = messageOf(err);
      }
    }
  }
}
