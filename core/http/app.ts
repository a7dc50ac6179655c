// The Koa application: the request's span (when tracing), request id, the one error serializer,
// then the routes. Nothing else is hidden in middleware; each endpoint module reads its own body.
import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import { MethodNotAllowed, NotFound } from '../errors/index.ts';
import { errorHandler } from './errors.ts';
import { connectionErrorLog } from './log.ts';
import { requestId } from './requestId.ts';
import type { RequestState } from './state.ts';
import { extractTraceContext, inSpan, SpanKind, tracingEnabled } from '../tracing/index.ts';

/**
 * A server span per request, continuing the caller's trace (W3C traceparent): named by its route
 * once routed, with the status and the client_id the request concerned, never a body.
 */
const requestSpan: Middleware<RequestState> = (ctx, next) => {
  if (!tracingEnabled()) return next();
  return inSpan(
    ctx.method,
    { 'http.request.method': ctx.method, 'url.path': ctx.path },
    async (span) => {
      try {
        await next();
      } finally {
        const route = (ctx as { _matchedRoute?: string })._matchedRoute;
        if (route) {
          span?.updateName(`${ctx.method} ${route}`);
          span?.setAttribute('http.route', route);
        }
        span?.setAttribute('http.response.status_code', ctx.status);
        if (ctx.state.clientId) span?.setAttribute('registrar.client_id', ctx.state.clientId);
        if (ctx.state.requestId) span?.setAttribute('registrar.request_id', ctx.state.requestId);
      }
    },
    { kind: SpanKind.SERVER, parent: extractTraceContext(ctx.headers) },
  );
};

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
  app.use(requestSpan);
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

