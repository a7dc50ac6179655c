// Each server process (every worker, every instance sharing the store) says what it runs: its
// identity, version, start, the configuration revision in force, each script's version, its link
// to the authorization server. It reports when any of these change and at every interval, so the
// fleet view shows processes that stopped reporting as gone, and a hot-patch as confirmed once
// every live process reports it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { VERSION } from '../config/index.ts';
import type { FleetRecords, ProcessReport } from '../store/index.ts';


/** What changes while the process runs. */
export type ProcessState = Pick<ProcessReport, 'role' | 'configurationRevision' | 'scripts' | 'authorizationServer'>;

export interface ReporterOptions {
  fleet: FleetRecords;
  state: () => ProcessState;
  intervalMs: () => number;
  logger: Logger;
  clock: () => number;
}

/** A change reported this soon after it happens: several changes in a row make one report. */
const SETTLE_MS = 50;

export class FleetReporter {
  readonly id = randomUUID();
  readonly #options: ReporterOptions;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #stopped = false;
  /** One report at a time; a change during one is reported after it. */
  #writing: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(options: ReporterOptions) {
    this.#options = options;
    this.#startedAt = options.clock();
  }

  start(): void {
    this.#report();
    const every = () => {
      this.#timer = setTimeout(() => {
        this.#report();
        every();
      }, this.#options.intervalMs());
      this.#timer.unref();
    };
    every();
  }

  /** Something reported changed: report it soon. */
  changed(): void {
    if (this.#stopped || this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#report();
    }, SETTLE_MS);
    this.#soon.unref();
  }

  #report(): void {
    if (this.#stopped) return;
    const record: ProcessReport = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      version: VERSION,
      startedAt: this.#startedAt,
      reportedAt: this.#options.clock(),
      ...this.#options.state(),
    };
    this.#writing = this.#writing.then(() =>
      this.#options.fleet.report(record).then(
        () => {
          if (this.#failing) this.#options.logger.info('reporting to the fleet view works again');
          this.#failing = false;
        },
        (err: unknown) => {
          // The store is down: the fleet view shows this process as late until it is back; once per outage in the log.
          if (!this.#failing) this.#options.logger.warn({ err }, 'reporting to the fleet view failed');
          this.#failing = true;
        },
      ),
    );
  }

  /** Stops reporting and takes the process out of the view (a stop, not a disappearance). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#soon);
    await this.#writing;
    await this.#options.fleet.remove(this.id).catch(() => undefined);
  }
}
