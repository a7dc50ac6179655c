// The registration decision log: one record per request on the registration endpoints (time,
// client, operation, status and outcome, what each script decided and in which version, latency,
// and the request itself with its credentials removed, for replay), written to the
// store beside the clients and kept decisionLogRetentionDays. Writing never delays or fails
// the answer: records are written in batches (one transaction every FLUSH_MS or BATCH records),
// and a batch that cannot be written is logged.
import type { Middleware } from 'koa';
import { OAuthError } from '../errors/index.ts';
import { newTimeOrderedId, withoutSecrets } from '../secrets/index.ts';
import type { RequestState } from '../http/index.ts';
import type { Logger } from 'pino';
import type { Operation, RequestPolicy } from '../policy/index.ts';
import type { DecisionLog, DecisionRecord } from '../store/index.ts';
import { activeTraceId, outsideRequests } from '../tracing/index.ts';
import type { RegistrationServices } from './services.ts';

const OPERATIONS: Record<string, Operation> = { POST: 'create', GET: 'read', HEAD: 'read', PUT: 'update', DELETE: 'delete' };

const FLUSH_MS = 20;
/** Largest request kept in a decision record (its JSON); a larger one is not kept, so it cannot be replayed. */
const REQUEST_BYTES = 16 * 1024;
/** The request as it may be kept: credentials and private key members removed at any depth, and nothing at all when it is too large. */
function keptRequest(body: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!body) return undefined;
  const kept = withoutSecrets(body);
  return Buffer.byteLength(JSON.stringify(kept)) <= REQUEST_BYTES ? kept : undefined;
}
const BATCH = 200;

/** Buffers decision records and writes them in batches; `settle` writes what is buffered and waits. */
export class DecisionWriter {
  readonly #log: DecisionLog;
  readonly #logger: Logger;
  #queue: DecisionRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #writing = new Set<Promise<void>>();

  constructor(log: DecisionLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  add(record: DecisionRecord): void {
    this.#queue.push(record);
    if (this.#queue.length >= BATCH) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    // The batch holds many requests' records: its write belongs to none of their traces.
    const write = outsideRequests(() => this.#log.append(batch)).catch((err: unknown) => {
      this.#logger.warn({ err, records: batch.length }, 'decision records could not be written');
    });
    this.#writing.add(write);
    void write.finally(() => this.#writing.delete(write));
  }

  async settle(): Promise<void> {
    this.#flush();
    await Promise.all(this.#writing);
  }
}

/** The policy port decisionLog gave this request. */
export function requestPolicy(ctx: { state: object }): RequestPolicy {
  const policy = (ctx.state as { policy?: RequestPolicy }).policy;
  if (!policy) throw new Error('the decision log middleware did not run for this route');
  return policy;
}

/** Gives the request its policy port, and writes one record of what it decided when the request ends. */
export function decisionLog(
  services: RegistrationServices,
  writer: DecisionWriter,
  observe?: (record: DecisionRecord) => void,
  /** The operation recorded; by default the HTTP method's. */
  operation?: DecisionRecord['operation'],
): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = performance.now();
    const state = ctx.state as RequestState & { policy: RequestPolicy };
    state.policy = services.policy.forRequest({ requestId: ctx.state.requestId });
    let status = 200;
    let outcome = 'ok';
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      status = err instanceof OAuthError ? err.status : 500;
      outcome = err instanceof OAuthError && err.expose ? err.error : 'server_error';
      throw err;
    } finally {
      const at = services.clock();
      const record: DecisionRecord = {
        id: newTimeOrderedId(at),
        at,
        requestId: ctx.state.requestId,
        operation: operation ?? OPERATIONS[ctx.method] ?? 'read',
        clientId: ctx.state.clientId ?? null,
        status,
        outcome,
        scripts: state.policy.decisions,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
      };
      const request = services.config.current.decisionLogStoreRequests ? keptRequest(ctx.state.requestBody) : undefined;
      if (request) record.request = request;
      // With tracing on, the decision links to the request's trace.
      const traceId = activeTraceId();
      if (traceId) record.traceId = traceId;
      writer.add(record);
      observe?.(record);
    }
  };
}
