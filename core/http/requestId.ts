// A request id on every request, unique whatever the caller sends: a new UUID, or the caller's
// X-Request-Id (when it is a sane token) with a random suffix, so a caller can correlate but never
// make its request pass for another in the log or the decision log. It is echoed in the
// response, in every log line and in server_error bodies.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { RequestState } from './state.ts';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(logger: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const offered = ctx.get('X-Request-Id');
    const id = ACCEPTABLE.test(offered) ? `${offered}/${randomBytes(4).toString('hex')}` : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = logger.child({ reqId: id });
    ctx.set('X-Request-Id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.log.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round((performance.now() - started) * 10) / 10 },
        'request',
      );
    }
  };
}
