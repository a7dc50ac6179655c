// rateLimitRegistrationRequestCount per rateLimitRegistrationPeriodInSeconds and client address
// (Janssen's names), counted per instance in fixed windows: over the limit, 429 with Retry-After.
// The address is the client address of core/net (behind the proxies in trustedProxies).
import type { Middleware } from 'koa';
import type { ConfigHolder } from '../config/index.ts';
import { TooManyRequests } from '../errors/index.ts';
import { FixedWindowCounter, type RequestState } from '../http/index.ts';
import { clientAddress } from '../net/index.ts';

export function rateLimit(config: ConfigHolder, clock: () => number): Middleware<RequestState> {
  const windows = new FixedWindowCounter(clock);
  return async (ctx, next) => {
    const { rateLimitRegistrationRequestCount: limit, rateLimitRegistrationPeriodInSeconds: period, trustedProxies } = config.current;
    if (limit === 0 || ctx.method !== 'POST') return next();
    const address = clientAddress(ctx, trustedProxies);
    const { count, retryAfterSeconds } = windows.hit(address, period * 1000);
    if (count > limit) throw new TooManyRequests('too many registration requests from this address', retryAfterSeconds);
    await next();
  };
}
