// The address a request comes from, the one rule for rate limits, the token endpoint and client
// certificates: the socket's peer, unless that peer is a trusted proxy. Then X-Forwarded-For is
// walked from the right (each proxy appends the address it saw), trusted proxies are skipped,
// and the first untrusted valid address is the client; the leftmost entries are the client's
// own writing and are never believed.
import { isIP } from 'node:net';
import type { Context } from 'koa';
import { inAddressList, unmapped } from './addresses.ts';

/** Whether the request's direct peer is one of the trusted proxies. */
export function fromTrustedProxy(ctx: Context, trustedProxies: readonly string[]): boolean {
  const peer = ctx.req.socket.remoteAddress;
  return peer !== undefined && inAddressList(peer, trustedProxies);
}

export function clientAddress(ctx: Context, trustedProxies: readonly string[]): string {
  const peer = unmapped(ctx.req.socket.remoteAddress ?? 'unknown');
  if (!inAddressList(peer, trustedProxies)) return peer;
  const hops = ctx.get('X-Forwarded-For').split(',').map((hop) => unmapped(hop.trim()));
  for (let at = hops.length - 1; at >= 0; at -= 1) {
    const hop = hops[at]!;
    if (isIP(hop) === 0) return peer; // garbage: not a key; the nearest proxy answers for it
    if (!inAddressList(hop, trustedProxies)) return hop;
  }
  return peer;
}
