// Where scripts' log lines go: the server log (tagged with script and request id), and the
// capture of a dry run when the request is one. Lines are capped in size, and in rate per
// script: a script cannot flood the log; what it loses is counted and shown in its status.
import type { Logger } from 'pino';
import type { ConsoleLine } from './isolate.ts';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);
/** Longest message, and longest serialised fields, kept per line. */
export const MAX_LINE_BYTES = 8192;
/** Lines a script may write in a burst, and per second after it. */
const BURST = 200;
const PER_SECOND = 100;
/** Failures of one script logged per second; the rest are counted. */
const FAILURES_PER_SECOND = 10;

class Bucket {
  #tokens: number;
  #at = performance.now();
  readonly #capacity: number;
  readonly #rate: number;
  constructor(capacity: number, rate: number) {
    this.#capacity = capacity;
    this.#rate = rate;
    this.#tokens = capacity;
  }
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

interface ScriptLogState {
  lines: Bucket;
  failures: Bucket;
  /** Lines not written (rate), and failures not logged. */
  dropped: number;
  failuresNotLogged: number;
}

const clip = (text: string) => (text.length > MAX_LINE_BYTES ? `${text.slice(0, MAX_LINE_BYTES)}… (${text.length} characters)` : text);

export class ScriptLogs {
  readonly #logger: Logger;
  readonly #scripts = new Map<string, ScriptLogState>();
  /** Log lines of requests being dry-run, by request id. */
  readonly #captures = new Map<string, Array<Record<string, unknown>>>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  #state(script: string): ScriptLogState {
    let state = this.#scripts.get(script);
    if (!state) this.#scripts.set(script, (state = { lines: new Bucket(BURST, PER_SECOND), failures: new Bucket(FAILURES_PER_SECOND, FAILURES_PER_SECOND), dropped: 0, failuresNotLogged: 0 }));
    return state;
  }

  /** One line from a script (console or the log plugin): capped, rate-limited, captured for a dry run. */
  write(script: string, requestId: string | undefined, requested: string, message: unknown, fields?: Record<string, unknown>, source = 'console'): void {
    const level = (LEVELS.has(requested) ? requested : 'info') as 'info';
    const text = clip(typeof message === 'string' ? message : String(message));
    let kept = fields;
    if (fields !== undefined && JSON.stringify(fields).length > MAX_LINE_BYTES) kept = { fieldsOmitted: `more than ${MAX_LINE_BYTES} bytes` };
    if (requestId) this.#captures.get(requestId)?.push({ script, level, message: text, ...(kept ? { fields: kept } : {}) });
    const state = this.#state(script);
    if (!state.lines.take()) {
      state.dropped += 1;
      return;
    }
    this.#logger.child({ script, reqId: requestId || undefined })[level]({ ...kept, source }, text);
  }

  /** Writes a script's console lines. */
  console(script: string, lines: ConsoleLine[]): void {
    for (const [requestId, level, message] of lines) this.write(script, requestId || undefined, level, message);
  }

  /** Logs a failed hook call, at most FAILURES_PER_SECOND a second per script. */
  failure(script: string, details: Record<string, unknown>, message: string): void {
    const state = this.#state(script);
    if (!state.failures.take()) {
      state.failuresNotLogged += 1;
      return;
    }
    const skipped = state.failuresNotLogged;
    state.failuresNotLogged = 0;
    this.#logger.error({ script, ...details, ...(skipped ? { failuresNotLogged: skipped } : {}) }, message);
  }

  /** What a script lost to the caps, for its status. */
  dropped(script: string): number {
    return this.#scripts.get(script)?.dropped ?? 0;
  }

  forget(script: string): void {
    this.#scripts.delete(script);
  }

  /** Collects the log lines scripts write while serving `requestId` until `stop` is called. */
  capture(requestId: string): { lines: Array<Record<string, unknown>>; stop(): void } {
    const lines: Array<Record<string, unknown>> = [];
    this.#captures.set(requestId, lines);
    return { lines, stop: () => this.#captures.delete(requestId) };
  }
}
