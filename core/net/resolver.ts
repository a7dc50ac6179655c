// Resolving the names clients give (their jwks_uri, sector_identifier_uri, request_uris hosts):
// on c-ares (node:dns Resolver), which queries over its own sockets on the event loop instead of
// libuv's thread pool, so no number of slow or silent names takes capacity from anything else;
// with a timeout of its own, a bound on queries in flight, and answers cached within their TTL.
// The hosts file is read too (the resolver does not), and `localhost` names are loopback
// (RFC 6761). Only a complete answer counts: a family that times out leaves the name unknown.
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/** What a name resolves to: addresses, nothing (it does not exist, or has no address), or unknown. */
export type Resolution =
  | { kind: 'addresses'; addresses: string[] }
  | { kind: 'none' }
  /** timeout: no complete answer in time; busy: too many queries in flight here; failed: the resolver itself failed. */
  | { kind: 'unknown'; reason: 'timeout' | 'busy' | 'failed' };

export interface ResolverSettings {
  /** Name servers (`1.1.1.1`, `[2001:db8::1]:53`); empty: the system's. */
  servers: readonly string[];
  /** Longest wait for one name's complete answer. */
  timeoutMs: number;
}

/** Entries cached at most (the oldest go first). */
const MAX_ENTRIES = 10_000;
/** Queries in flight at most; past that a name is `unknown: busy` at once. */
const MAX_IN_FLIGHT = 256;
/** How long answers are kept: an answer's TTL within these bounds; a name that does not exist; no complete answer. */
const MIN_TTL_MS = 1000;
const MAX_TTL_MS = 3_600_000;
const NONE_TTL_MS = 30_000;
const UNKNOWN_TTL_MS = 5000;
const HOSTS_FILE = '/etc/hosts';
const HOSTS_REREAD_MS = 30_000;

const NO_ADDRESS = new Set(['ENOTFOUND', 'ENODATA']);

const normalise = (host: string) => host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');

export class AddressResolver {
  #settings: ResolverSettings | undefined;
  #resolver = new Resolver();
  readonly #cache = new Map<string, { resolution: Resolution; until: number }>();
  readonly #pending = new Map<string, Promise<Resolution>>();
  #inFlight = 0;
  #hosts = new Map<string, string[]>();
  #hostsReadAt = 0;
  #hostsMtime = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Applies `settings` (a new server list or timeout starts a fresh resolver and cache). */
  configure(settings: ResolverSettings): this {
    const current = this.#settings;
    if (current && current.timeoutMs === settings.timeoutMs && current.servers.join() === settings.servers.join()) return this;
    // At start, from the configuration: the hosts file is read now, once, and in the background after.
    if (!current) this.#readHostsNow();
    this.#settings = settings;
    this.#resolver = new Resolver({ timeout: settings.timeoutMs, tries: 1 });
    if (settings.servers.length > 0) this.#resolver.setServers([...settings.servers]);
    this.#cache.clear();
    return this;
  }

  /** What `host` resolves to now: from the cache while its answer lives, else asked (one query per name at a time). */
  async resolve(host: string): Promise<Resolution> {
    const name = normalise(host);
    if (isIP(name)) return { kind: 'addresses', addresses: [name] };
    if (name === 'localhost' || name.endsWith('.localhost')) return { kind: 'addresses', addresses: ['127.0.0.1', '::1'] };
    this.#rereadHosts();
    const listed = this.#hosts.get(name);
    if (listed) return { kind: 'addresses', addresses: listed };
    const cached = this.#cache.get(name);
    if (cached && cached.until > this.#now()) return cached.resolution;
    const pending = this.#pending.get(name);
    if (pending) return pending;
    if (this.#inFlight >= MAX_IN_FLIGHT) return { kind: 'unknown', reason: 'busy' };
    const query = this.#query(name).finally(() => {
      this.#inFlight--;
      this.#pending.delete(name);
    });
    this.#inFlight++;
    this.#pending.set(name, query);
    return query;
  }

  async #query(name: string): Promise<Resolution> {
    const resolver = this.#resolver;
    const timeoutMs = this.#settings?.timeoutMs ?? 250;
    const ask = (family: 4 | 6) =>
      (family === 4 ? resolver.resolve4(name, { ttl: true }) : resolver.resolve6(name, { ttl: true })).then(
        (records) => ({ records }),
        (err: NodeJS.ErrnoException) => ({ code: err.code ?? 'failed' }),
      );
    // c-ares keeps its own timeout; this one is the bound whatever it does.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), timeoutMs + 50)));
    const answers = await Promise.race([Promise.all([ask(4), ask(6)]), deadline]).finally(() => clearTimeout(timer));
    let resolution: Resolution;
    let ttlMs = UNKNOWN_TTL_MS;
    if (answers === 'deadline') {
      resolution = { kind: 'unknown', reason: 'timeout' };
    } else {
      const failure = answers.find((answer) => 'code' in answer && !NO_ADDRESS.has(answer.code));
      const records = answers.flatMap((answer) => ('records' in answer ? answer.records : []));
      if (failure && 'code' in failure) {
        resolution = { kind: 'unknown', reason: failure.code === 'ETIMEOUT' ? 'timeout' : 'failed' };
      } else if (records.length === 0) {
        resolution = { kind: 'none' };
        ttlMs = NONE_TTL_MS;
      } else {
        resolution = { kind: 'addresses', addresses: [...new Set(records.map((record) => record.address))] };
        ttlMs = Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Math.min(...records.map((record) => record.ttl)) * 1000));
      }
    }
    this.#remember(name, resolution, ttlMs);
    return resolution;
  }

  #remember(name: string, resolution: Resolution, ttlMs: number): void {
    this.#cache.delete(name);
    this.#cache.set(name, { resolution, until: this.#now() + ttlMs });
    if (this.#cache.size > MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
  }

  #readHostsNow(): void {
    try {
      this.#hostsMtime = statSync(HOSTS_FILE).mtimeMs;
      this.#hosts = parseHosts(readFileSync(HOSTS_FILE, 'utf8'));
    } catch {
      this.#hosts = new Map();
    }
    this.#hostsReadAt = this.#now();
  }

  /** The hosts file, read again in the background when it may have changed (never on a request's path). */
  #rereadHosts(): void {
    const now = this.#now();
    if (now - this.#hostsReadAt < HOSTS_REREAD_MS) return;
    this.#hostsReadAt = now;
    void stat(HOSTS_FILE)
      .then(async ({ mtimeMs }) => {
        if (mtimeMs === this.#hostsMtime) return;
        this.#hostsMtime = mtimeMs;
        this.#hosts = parseHosts(await readFile(HOSTS_FILE, 'utf8'));
      })
      .catch(() => {
        this.#hosts = new Map();
      });
  }
}

/** name → addresses, from a hosts file's lines (`address name [alias...]`, `#` comments). */
export function parseHosts(text: string): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !isIP(address)) continue;
    for (const name of names) hosts.set(normalise(name), [...(hosts.get(normalise(name)) ?? []), address]);
  }
  return hosts;
}

/** The process's resolver for names clients give: one cache for every check and fetch. */
export const clientNames = new AddressResolver();
