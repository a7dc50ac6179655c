// Answers that must not be cached (client credentials, RFC 7591 §3.2.1 and RFC 7592 §3; every
// administration answer): set once on the routers that serve them. Errors carry it too (errors.ts).
import type { Middleware } from 'koa';

export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export const noStore: Middleware = async (ctx, next) => {
  ctx.set(NO_STORE);
  await next();
};
