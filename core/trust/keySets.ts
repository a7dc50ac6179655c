// Key sets: parsing (configuration keeps them as objects or JSON strings, as Janssen does) and
// one shared cache of remote JWKS used by every verification path and the scripts' jwks plugin.
// Fetches go through core/outbound (https, address policy, timeout, size cap); one request per
// URL at a time; Cache-Control max-age honoured (capped at a day); an unknown kid triggers one
// refetch, never more often than the cool-down, so a stream of unknown kids cannot hammer the
// remote.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { get, OutboundError, type OutboundPolicy } from '../outbound/index.ts';

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
}

interface Entry {
  jwks: JSONWebKeySet | undefined;
  fetchedAt: number;
  expiresAt: number;
  pending: Promise<JSONWebKeySet> | undefined;
}

const DAY_MS = 86_400_000;

function maxAgeOf(cacheControl: string | undefined): number | undefined {
  if (!cacheControl) return undefined;
  if (/\b(no-store|no-cache)\b/i.test(cacheControl)) return 0;
  const match = /\bmax-age=(\d+)/i.exec(cacheControl);
  return match?.[1] ? Number(match[1]) * 1000 : undefined;
}

export class RemoteKeySets {
  readonly #entries = new Map<string, Entry>();
  readonly #policy: () => KeySetPolicy;
  readonly #clock: () => number;
  /** Fetches made, per URL (for tests and the status of a key host). */
  readonly fetches = new Map<string, number>();

  constructor(policy: () => KeySetPolicy, clock: () => number = Date.now) {
    this.#policy = policy;
    this.#clock = clock;
  }

  /** The key set at `url`, from the cache while fresh; `refresh` asks for a new copy (cool-down permitting). */
  async get(url: string, { refresh = false } = {}): Promise<JSONWebKeySet> {
    const now = this.#clock();
    const policy = this.#policy();
    const entry = this.#entries.get(url);
    if (entry?.pending) return entry.pending;
    const fresh = entry?.jwks && now < entry.expiresAt;
    const coolingDown = entry && now - entry.fetchedAt < policy.cooldownMs;
    if (entry?.jwks && (fresh || coolingDown) && !(refresh && !coolingDown)) return entry.jwks;
    if (entry && !entry.jwks && coolingDown) throw new KeySetError(`the key set at ${url} could not be fetched recently; retrying after the cool-down`);
    return this.#fetch(url, policy, entry);
  }

  #fetch(url: string, policy: KeySetPolicy, previous: Entry | undefined): Promise<JSONWebKeySet> {
    const entry: Entry = previous ?? { jwks: undefined, fetchedAt: 0, expiresAt: 0, pending: undefined };
    this.#entries.set(url, entry);
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
        return jwks;
      } catch (err) {
        entry.fetchedAt = this.#clock();
        if (err instanceof KeySetError) throw err;
        throw new KeySetError(`the key set at ${url} could not be fetched: ${err instanceof OutboundError ? err.message : String(err)}`, { cause: err });
      } finally {
        entry.pending = undefined;
      }
    })();
    return entry.pending;
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
