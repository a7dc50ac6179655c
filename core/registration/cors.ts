// CORS on the registration endpoints (browser-based clients, e.g. MCP clients, register from
// web pages), for the origins in registrationCorsAllowedOrigins (`*` for any). Preflights answer
// 204; error responses carry the headers too, so the page can read the error.
import type { Middleware } from 'koa';
import type { ConfigHolder } from '../config/index.ts';
import type { RequestState } from '../http/index.ts';

export function cors(config: ConfigHolder): Middleware<RequestState> {
  return async (ctx, next) => {
    const allowed = config.current.registrationCorsAllowedOrigins;
    const origin = ctx.get('Origin');
    const permitted = origin !== '' && (allowed.includes('*') || allowed.includes(origin));
    if (permitted) {
      ctx.set({
        'Access-Control-Allow-Origin': allowed.includes('*') ? '*' : origin,
        'Access-Control-Expose-Headers': 'X-Request-Id, Retry-After, WWW-Authenticate',
      });
      ctx.vary('Origin');
    }
    if (ctx.method === 'OPTIONS') {
      if (permitted) {
        ctx.set({
          'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE',
          'Access-Control-Allow-Headers': 'Content-Type, Authorization',
          'Access-Control-Max-Age': '600',
        });
      }
      ctx.status = 204;
      return;
    }
    await next();
  };
}
