// The registration decision log: one record per request on the registration endpoints (time,
// client, operation, status and outcome, what each script decided, latency), written to the
// store beside the clients and kept decisionLogRetentionDays. Writing never delays or fails
// the answer; a write that fails is logged.
import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { OAuthError } from '../errors/index.ts';
import type { RequestState } from '../http/state.ts';
import type { DecisionRecord, ScriptDecision } from '../store/index.ts';
import type { Operation } from './policy.ts';
import type { RegistrationServices } from './services.ts';

const OPERATIONS: Record<string, Operation> = { POST: 'create', GET: 'read', HEAD: 'read', PUT: 'update', DELETE: 'delete' };

export function traceOf(ctx: Context & { state: RequestState }): ScriptDecision[] {
  ctx.state.trace ??= [];
  return ctx.state.trace;
}

/** Decision records being written; `settle` waits for them (tests, shutdown). */
export class DecisionWriter {
  readonly #pending = new Set<Promise<void>>();

  track(write: Promise<void>): void {
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
  }

  async settle(): Promise<void> {
    await Promise.all(this.#pending);
  }
}

export function decisionLog(services: RegistrationServices, writer: DecisionWriter): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = performance.now();
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
        id: randomUUID(),
        at,
        requestId: ctx.state.requestId,
        operation: OPERATIONS[ctx.method] ?? 'read',
        clientId: ctx.state.clientId ?? null,
        status,
        outcome,
        scripts: ctx.state.trace ?? [],
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        expiresAt: at + services.config.current.decisionLogRetentionDays * 86_400_000,
      };
      writer.track(
        services.store.appendDecision(record).catch((err: unknown) => {
          ctx.state.log.warn({ err: (err as Error).message }, 'the decision record could not be written');
        }),
      );
    }
  };
}
