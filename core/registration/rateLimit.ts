// rateLimitRegistrationRequestCount per rateLimitRegistrationPeriodInSeconds and client address
// (Janssen's names), counted per instance in fixed windows: over the limit, 429 with Retry-After.
// Behind a trusted proxy (mtlsTrustedProxies) the address is the first X-Forwarded-For entry.
import type { Middleware } from 'koa';
import { fromTrustedProxy } from '../certificate/index.ts';
import type { ConfigHolder } from '../config/index.ts';
import { InvalidRequest } from '../errors/index.ts';
import type { RequestState } from '../http/state.ts';

const MAX_TRACKED = 100_000;

export function rateLimit(config: ConfigHolder, clock: () => number): Middleware<RequestState> {
  const windows = new Map<string, { start: number; count: number }>();
  return async (ctx, next) => {
    const { rateLimitRegistrationRequestCount: limit, rateLimitRegistrationPeriodInSeconds: period, mtlsTrustedProxies } = config.current;
    if (limit === 0 || ctx.method !== 'POST') return next();
    const socketAddress = ctx.req.socket.remoteAddress ?? 'unknown';
    const forwarded = ctx.get('X-Forwarded-For').split(',')[0]?.trim();
    const address = forwarded && fromTrustedProxy(socketAddress, mtlsTrustedProxies) ? forwarded : socketAddress;
    const now = clock();
    const periodMs = period * 1000;
    let window = windows.get(address);
    if (!window || now - window.start >= periodMs) {
      if (windows.size >= MAX_TRACKED) for (const [key, value] of windows) if (now - value.start >= periodMs) windows.delete(key);
      window = { start: now, count: 0 };
      windows.set(address, window);
    }
    window.count += 1;
    if (window.count > limit) {
      const retryAfter = Math.max(1, Math.ceil((window.start + periodMs - now) / 1000));
      throw new InvalidRequest(`too many registration requests from this address; retry after ${retryAfter} s`, {
        status: 429,
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
    await next();
  };
}
