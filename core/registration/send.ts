import type { Context } from 'koa';
import { NO_STORE } from '../http/errors.ts';
import type { ClientResponse } from '../policy/index.ts';

/** Client information responses are never cached (RFC 7591 §3.2.1, RFC 7592 §3). */
export function sendClientResponse(ctx: Context, status: number, body: ClientResponse): void {
  ctx.status = status;
  ctx.set(NO_STORE);
  ctx.body = body;
}
