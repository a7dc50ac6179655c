// The Koa application: request id, the one error serializer, then the routes. Nothing else is
// hidden in middleware; each endpoint module reads its own body.
import type Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import { MethodNotAllowed, NotFound } from '../errors/index.ts';
import { errorHandler } from './errors.ts';
import { connectionErrorLog } from './log.ts';
import { requestId } from './requestId.ts';
import type { RequestState } from './state.ts';

/** Told about every answered request: the matched route (or `unmatched`), method and status. */
export type RequestObserver = (route: string, method: string, status: number) => void;

export function createHttpApp(logger: Logger, router: Router<RequestState>, observe?: RequestObserver): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.silent = true;
  // Koa reports here what happens outside a request's handling: mostly clients that send garbage or go away.
  app.on('error', connectionErrorLog((fields, message) => logger.warn(fields, message)));
  if (observe) {
    app.use(async (ctx, next) => {
      try {
        await next();
      } finally {
        observe((ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched', ctx.method, ctx.status);
      }
    });
  }
  app.use(requestId(logger));
  app.use(errorHandler);
  app.use(router.routes());
  // Reached only when no route took the request.
  app.use(async (ctx) => {
    const match = router.match(ctx.path, ctx.method);
    const allowed = [...new Set(match.path.flatMap((layer) => layer.methods))];
    if (allowed.length > 0) throw new MethodNotAllowed(allowed);
    throw new NotFound();
  });
  return app;
}

