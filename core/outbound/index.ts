// Every fetch the server makes goes through here (sector_identifier_uri, JWKS, directories, the
// scripts' http plugin): https only unless allowed, a timeout, a size cap,
// redirects never followed, and no private, loopback or link-local destination unless allowed.
// The address check runs on the resolved addresses inside the socket's own lookup, so a name that
// resolves to a private address (or re-resolves to one) is refused; those names are resolved on
// Registrar's own resolver, never the thread pool.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { clientNames, isPrivateAddress } from '../net/index.ts';
import type { OutboundPolicy } from './policy.ts';
import { messageOf } from '../errors/index.ts';
import { injectTraceContext, inSpan, SpanKind, type Span } from '../tracing/index.ts';

export { outboundPolicy, trustedServerPolicy, type OutboundPolicy } from './policy.ts';

export type OutboundFailure =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'address_not_allowed'
  | 'timeout'
  | 'too_large'
  | 'redirect'
  | 'http_status'
  | 'invalid_json'
  | 'network';

const PUBLIC_REASONS: Record<OutboundFailure, string> = {
  invalid_url: 'it is not an absolute URL',
  address_not_allowed: 'it points at an address this server may not fetch',
  scheme_not_allowed: 'only https may be fetched',
  timeout: 'no answer in time',
  too_large: 'the answer is too large',
  redirect: 'redirects are not followed',
  http_status: 'it answered an error status',
  invalid_json: 'the answer is not JSON',
  network: 'it could not be reached',
};

/** What a client may be told of a failed fetch of its URL: the kind of failure, never what the resolver or the network said. */
export function publicReason(err: unknown): string {
  if (!(err instanceof OutboundError)) return PUBLIC_REASONS.network;
  return err.reason === 'http_status' ? err.message : PUBLIC_REASONS[err.reason];
}

export class OutboundError extends Error {
  readonly reason: OutboundFailure;
  constructor(reason: OutboundFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundError';
    this.reason = reason;
  }
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * The socket's lookup. Where private addresses are refused, names are resolved by Registrar's own
 * resolver (no thread pool, a bounded wait, cached answers) and fail when any address they resolve
 * to is private; where they are allowed (servers the operator named), by the system's.
 */
function guardedLookup(policy: OutboundPolicy): LookupFunction {
  if (policy.allowPrivateAddresses) return dnsLookup as unknown as LookupFunction;
  const resolver = clientNames.configure(policy.dns);
  return (hostname, options, callback) => {
    const fail = (err: Error) => callback(err as NodeJS.ErrnoException, '', 0);
    resolver.resolve(hostname).then((resolution) => {
      if (resolution.kind === 'none') return fail(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }));
      if (resolution.kind === 'unknown') return fail(new OutboundError(resolution.reason === 'timeout' ? 'timeout' : 'network', `${hostname} could not be resolved (${resolution.reason})`));
      const addresses: LookupAddress[] = resolution.addresses.map((address) => ({ address, family: isIP(address) }));
      const blocked = addresses.find((a) => isPrivateAddress(a.address));
      if (blocked) return fail(new OutboundError('address_not_allowed', `${hostname} resolves to a non-public address`));
      const wanted = addresses.filter((a) => !options.family || a.family === options.family);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
      const first = wanted[0];
      if (!first) return fail(Object.assign(new Error(`${hostname} has no address of that family`), { code: 'ENOTFOUND' }));
      callback(null, first.address, first.family);
    }, fail);
  };
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal | undefined;
  /** Connections kept alive between calls to one server (a trusted one: its address was vetted by configuration). */
  agent?: http.Agent | undefined;
}

/** GET `target` under `policy`. Resolves with any status; rejects with an OutboundError. */
export const get = (target: string, policy: OutboundPolicy, accept = 'application/json', signal?: AbortSignal): Promise<OutboundResponse> =>
  send(target, policy, { headers: { accept }, signal });

/** One request to `target` under `policy`. Resolves with any status; rejects with an OutboundError. */
export function send(target: string, policy: OutboundPolicy, { method = 'GET', headers = {}, body, signal, agent }: OutboundRequest = {}): Promise<OutboundResponse> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return Promise.reject(new OutboundError('invalid_url', `not an absolute URL: ${target}`));
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return Promise.reject(new OutboundError('scheme_not_allowed', `only https URLs may be fetched, got ${url.protocol}`));
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && !policy.allowPrivateAddresses && isPrivateAddress(literal)) {
    return Promise.reject(new OutboundError('address_not_allowed', `${literal} is not a public address`));
  }
  const client = url.protocol === 'https:' ? https : http;
  const length: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
  // A client span per fetch, its context sent onward as W3C traceparent; the query stays out of the trace.
  const attributes = { 'http.request.method': method, 'server.address': url.hostname, 'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)), 'url.path': url.pathname };
  return inSpan(`HTTP ${method}`, attributes, (span) => exchange(client, url, policy, { method, headers: injectTraceContext({ accept: 'application/json', 'user-agent': 'registrar', ...headers, ...length }), body, signal, agent }, span), {
    kind: SpanKind.CLIENT,
  });
}

function exchange(
  client: typeof http | typeof https,
  url: URL,
  policy: OutboundPolicy,
  { method, headers, body, signal, agent }: OutboundRequest & { method: string; headers: Record<string, string> },
  span: Span | undefined,
): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method,
        lookup: guardedLookup(policy),
        headers,
        timeout: policy.timeoutMs,
        agent: agent ?? false,
        ...(signal ? { signal } : {}),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        span?.setAttribute('http.response.status_code', status);
        if (status >= 300 && status < 400) {
          response.resume();
          request.destroy();
          return reject(new OutboundError('redirect', `${url.origin}${url.pathname} answered a redirect (${status}); redirects are not followed`));
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > policy.maxResponseBytes) {
          request.destroy();
          return reject(new OutboundError('too_large', `response exceeds ${policy.maxResponseBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxResponseBytes) {
            reject(new OutboundError('too_large', `response exceeds ${policy.maxResponseBytes} bytes`));
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ status, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', (err) => reject(asOutboundError(err)));
      },
    );
    // The socket timeout covers idle time; the timer bounds the whole exchange.
    const deadline = setTimeout(() => request.destroy(new OutboundError('timeout', `no complete answer within ${policy.timeoutMs} ms`)), policy.timeoutMs);
    deadline.unref();
    request.on('timeout', () => request.destroy(new OutboundError('timeout', `no answer within ${policy.timeoutMs} ms`)));
    request.on('error', (err) => reject(asOutboundError(err)));
    request.on('close', () => clearTimeout(deadline));
    request.end(body);
  });
}

/** GET a JSON document; non-2xx statuses and unparseable bodies are failures. */
export async function getJson(target: string, policy: OutboundPolicy, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await send(target, policy, { headers: { accept: 'application/json', ...headers }, signal });
  if (response.status < 200 || response.status >= 300) {
    throw new OutboundError('http_status', `answered HTTP ${response.status}`);
  }
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch (err) {
    throw new OutboundError('invalid_json', 'the response is not valid JSON', { cause: err });
  }
}

function asOutboundError(err: unknown): OutboundError {
  if (err instanceof OutboundError) return err;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof OutboundError) return cause;
  return new OutboundError('network', messageOf(err), { cause: err });
}
