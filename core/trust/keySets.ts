// Key sets: parsing (configuration keeps them as objects or JSON strings, as Janssen does) and
// one shared cache of remote JWKS used by every verification path and the scripts' jwks plugin.
// Fetches go through core/outbound (https, address policy, timeout, size cap); one request per
// URL at a time; Cache-Control max-age honoured (capped at a day); an unknown kid triggers one
// refetch, never more often than the cool-down, so a stream of unknown kids cannot hammer the
// remote.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { get, OutboundError, publicReason, type OutboundPolicy } from '../outbound/index.ts';

export type { JSONWebKeySet } from 'jose';

/** A JWKS from an object or its JSON string, or undefined when it is not one. */
export function parseJwks(value: unknown): JSONWebKeySet | undefined {
  let candidate = value;
  if (typeof value === 'string') {
    try {
      candidate = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!candidate || typeof candidate !== 'object' || !Array.isArray((candidate as { keys?: unknown }).keys)) return undefined;
  return candidate as JSONWebKeySet;
}

export class KeySetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySetError';
  }
}

export interface KeySetPolicy {
  outbound: OutboundPolicy;
  /** Used when the response has no max-age. */
  maxAgeMs: number;
  cooldownMs: number;
  /** Bounds of the cache (entries, and bytes of key sets); the least recently used go first. */
  maxEntries?: number;
  maxBytes?: number;
}

interface Entry {
  jwks: JSONWebKeySet | undefined;
  fetchedAt: number;
  expiresAt: number;
  pending: Promise<JSONWebKeySet> | undefined;
  /** What the entry holds: the key set's size, or the URL's for a failure. */
  bytes: number;
}

/** Longest key-set URL accepted: URLs are cache keys, and arrive from clients. */
export const MAX_URL_LENGTH = 2048;
/** Failures that say the URL may not be fetched at all: never cached, never counted against the remote. */
const REFUSED = new Set(['invalid_url', 'scheme_not_allowed', 'address_not_allowed']);

const DAY_MS = 86_400_000;

function maxAgeOf(cacheControl: string | undefined): number | undefined {
  if (!cacheControl) return undefined;
  if (/\b(no-store|no-cache)\b/i.test(cacheControl)) return 0;
  const match = /\bmax-age=(\d+)/i.exec(cacheControl);
  return match?.[1] ? Number(match[1]) * 1000 : undefined;
}

export class RemoteKeySets {
  /** In least-recently-used order (a hit moves its entry to the end). */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  readonly #policy: () => KeySetPolicy;
  readonly #clock: () => number;
  /** Fetches made, per URL still cached (for tests and the status of a key host). */
  readonly fetches = new Map<string, number>();

  constructor(policy: () => KeySetPolicy, clock: () => number = Date.now) {
    this.#policy = policy;
    this.#clock = clock;
  }

  /** The key set at `url`, from the cache while fresh; `refresh` asks for a new copy (cool-down permitting). */
  async get(url: string, { refresh = false } = {}): Promise<JSONWebKeySet> {
    if (url.length > MAX_URL_LENGTH) throw new KeySetError(`key set URLs are limited to ${MAX_URL_LENGTH} characters`);
    const now = this.#clock();
    const policy = this.#policy();
    const entry = this.#entries.get(url);
    if (entry) {
      this.#entries.delete(url);
      this.#entries.set(url, entry);
    }
    if (entry?.pending) return entry.pending;
    const fresh = entry?.jwks && now < entry.expiresAt;
    const coolingDown = entry && now - entry.fetchedAt < policy.cooldownMs;
    if (entry?.jwks && (fresh || coolingDown) && !(refresh && !coolingDown)) return entry.jwks;
    if (entry && !entry.jwks && coolingDown) throw new KeySetError(`the key set at ${url} could not be fetched recently; retrying after the cool-down`);
    return this.#fetch(url, policy, entry);
  }

  #fetch(url: string, policy: KeySetPolicy, previous: Entry | undefined): Promise<JSONWebKeySet> {
    const entry: Entry = previous ?? { jwks: undefined, fetchedAt: 0, expiresAt: 0, pending: undefined, bytes: 0 };
    if (!previous) {
      this.#entries.set(url, entry);
      this.#resize(entry, url.length);
    }
    this.fetches.set(url, (this.fetches.get(url) ?? 0) + 1);
    entry.pending = (async () => {
      try {
        const response = await get(url, policy.outbound);
        if (response.status !== 200) throw new KeySetError(`the key set at ${url} answered HTTP ${response.status}`);
        let body: unknown;
        try {
          body = JSON.parse(response.body.toString('utf8'));
        } catch {
          throw new KeySetError(`the key set at ${url} is not JSON`);
        }
        const jwks = parseJwks(body);
        if (!jwks) throw new KeySetError(`${url} does not hold a JSON Web Key Set`);
        const now = this.#clock();
        const maxAge = maxAgeOf(response.headers['cache-control'] as string | undefined) ?? policy.maxAgeMs;
        entry.jwks = jwks;
        entry.fetchedAt = now;
        entry.expiresAt = now + Math.min(maxAge, DAY_MS);
        this.#resize(entry, url.length + response.body.length);
        return jwks;
      } catch (err) {
        entry.fetchedAt = this.#clock();
        if (err instanceof OutboundError && REFUSED.has(err.reason) && !entry.jwks) this.#forget(url);
        if (err instanceof KeySetError) throw err;
        // What went wrong on the network stays in the cause (the log); the message may reach the client.
        throw new KeySetError(`the key set at ${url} could not be fetched: ${publicReason(err)}`, { cause: err });
      } finally {
        entry.pending = undefined;
        this.#evict(policy);
      }
    })();
    return entry.pending;
  }

  #resize(entry: Entry, bytes: number): void {
    this.#bytes += bytes - entry.bytes;
    entry.bytes = bytes;
  }

  #forget(url: string): void {
    const entry = this.#entries.get(url);
    if (!entry) return;
    this.#entries.delete(url);
    this.fetches.delete(url);
    this.#bytes -= entry.bytes;
  }

  /** Least recently used out, while over either bound (entries being fetched stay). */
  #evict(policy: KeySetPolicy): void {
    const maxEntries = policy.maxEntries ?? Infinity;
    const maxBytes = policy.maxBytes ?? Infinity;
    for (const [url, entry] of this.#entries) {
      if (this.#entries.size <= maxEntries && this.#bytes <= maxBytes) return;
      if (!entry.pending) this.#forget(url);
    }
  }

  /** Entries and bytes held (status, tests). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  /** A key resolver for jose's jwtVerify: the key matching the JWS header, refetching once on no match. */
  resolver(url: string) {
    return async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
      const jwks = await this.get(url);
      try {
        return await createLocalJWKSet(jwks)(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
        const refreshed = await this.get(url, { refresh: true });
        if (refreshed === jwks) throw err;
        return createLocalJWKSet(refreshed)(header, token);
      }
    };
  }
}
