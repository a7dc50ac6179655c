// The one place that writes error bodies: {error, error_description} (RFC 6749 §5.2). An error
// that may not be shown becomes server_error with the request id; its details go to the log.
import type { Context, Middleware } from 'koa';
import { OAuthError } from '../errors/index.ts';
import { serializeError } from '../log/index.ts';
import { NO_STORE } from './noStore.ts';
import type { RequestState } from './state.ts';

export function writeError(ctx: Context & { state: RequestState }, err: unknown): void {
  const requestId = ctx.state.requestId;
  let status = 500;
  let body: Record<string, unknown> = { error: 'server_error', error_description: `internal server error (request id ${requestId})` };
  let headers: Record<string, string> = {};
  if (err instanceof OAuthError) {
    status = err.status;
    headers = err.headers;
    if (err.expose) body = { error: err.error, error_description: err.message, ...err.details };
  } else if (isClientHttpError(err)) {
    // Errors raised by koa itself for malformed requests (e.g. a bad URL encoding).
    status = err.status;
    body = { error: 'invalid_request', error_description: err.message };
  }
  if (status >= 500) ctx.state.log.error({ err }, 'request failed');
  else if ((err as { cause?: unknown })?.cause) ctx.state.log.info({ error: body.error, description: body.error_description, cause: serializeError((err as { cause: unknown }).cause) }, 'request refused');
  else ctx.state.log.debug({ error: body.error, description: body.error_description }, 'request refused');
  ctx.status = status;
  ctx.set({ ...NO_STORE, ...headers });
  ctx.type = 'application/json';
  ctx.body = body;
}

function isClientHttpError(err: unknown): err is { status: number; message: string } {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: boolean }).expose === true;
}

export const errorHandler: Middleware<RequestState> = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    writeError(ctx, err);
  }
};
