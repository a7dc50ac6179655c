// Where scripts' log lines go: the server log (tagged with script and request id), and the
// capture of a dry run when the request is one.
import type { Logger } from 'pino';
import type { ConsoleLine } from './isolate.ts';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

export class ScriptLogs {
  readonly #logger: Logger;
  /** Log lines of requests being dry-run, by request id. */
  readonly #captures = new Map<string, Array<Record<string, unknown>>>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Writes a script's console lines to the log (and to a dry run's capture). */
  console(script: string, lines: ConsoleLine[]): void {
    for (const [requestId, requested, message] of lines) {
      const level = (LEVELS.has(requested) ? requested : 'info') as 'info';
      this.#logger.child({ script, reqId: requestId || undefined })[level]({ source: 'console' }, message);
      if (requestId) this.#captures.get(requestId)?.push({ script, level, message });
    }
  }

  /** Records a host.log line for a dry run (the log plugin writes it to the server log itself). */
  plugin(script: string, requestId: string | undefined, level: string, args: unknown[]): void {
    const capture = requestId === undefined ? undefined : this.#captures.get(requestId);
    if (!capture) return;
    const fields = args[1] && typeof args[1] === 'object' ? { fields: args[1] } : {};
    capture.push({ script, level, message: String(args[0]), ...fields });
  }

  /** Collects the log lines scripts write while serving `requestId` until `stop` is called. */
  capture(requestId: string): { lines: Array<Record<string, unknown>>; stop(): void } {
    const lines: Array<Record<string, unknown>> = [];
    this.#captures.set(requestId, lines);
    return { lines, stop: () => this.#captures.delete(requestId) };
  }
}
