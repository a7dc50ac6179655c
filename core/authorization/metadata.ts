// The connected server's discovery document, and the topology it shows: whether clients get one
// issuer for discovery, registration and tokens. Read when the connection is made, again when it
// is older than a few minutes and someone asks, and on demand (the reconciler); one read at a time,
// and the last good copy stays through an outage.
import { messageOf } from '../errors/index.ts';

/** How clients find Registrar and the server under one issuer, or why they cannot. */
export type Topology =
  /** Registrar and the server share one issuer (one public origin, a reverse proxy in front of both). */
  | { kind: 'shared-issuer'; issuer: string }
  /** Clients discover at the server, whose document names Registrar's registration endpoint. */
  | { kind: 'server-discovery'; issuer: string }
  /** Neither: a client that discovers at one of the two does not find the other under its issuer. */
  | { kind: 'split'; issuer: string | undefined; problem: string };

export interface RegistrarIdentity {
  issuer: string;
  registrationEndpoint: string;
}

/** Least time between two reads while no document has been read. */
const RETRY_MS = 1000;
/** A document older than this is read again, in the background, when someone asks for it. */
const MAX_AGE_MS = 300_000;

export class ServerMetadata {
  readonly url: string | undefined;
  readonly #read: (url: string) => Promise<unknown>;
  readonly #registrar: RegistrarIdentity;
  readonly #now: () => number;
  readonly #onRead: (metadata: ServerMetadata) => void;
  #document: Record<string, unknown> | undefined;
  #fetchedAt: number | undefined;
  #attemptAt = 0;
  #error: string | undefined;
  #reading: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  /** `onRead` is told after every read, good or failed. */
  constructor(url: string | undefined, read: (url: string) => Promise<unknown>, registrar: RegistrarIdentity, onRead: (metadata: ServerMetadata) => void, now: () => number = Date.now) {
    this.url = url;
    this.#read = read;
    this.#registrar = registrar;
    this.#onRead = onRead;
    this.#now = now;
  }

  /** The last good document (a read is started when it is old). */
  get document(): Record<string, unknown> | undefined {
    if (this.#fetchedAt !== undefined && this.#now() - this.#fetchedAt > MAX_AGE_MS) void this.refresh();
    return this.#document;
  }

  get fetchedAt(): number | undefined {
    return this.#fetchedAt;
  }

  /** Why the last read failed, while no document has been read since. */
  get error(): string | undefined {
    return this.#error;
  }

  /** True while there is a place to read the document and no document has been read yet. */
  get awaited(): boolean {
    return this.url !== undefined && this.#document === undefined;
  }

  /** The document, read now when there is none yet (joining a read under way; not again right after one failed). */
  async ensure(): Promise<Record<string, unknown> | undefined> {
    if (this.#reading) await this.#reading;
    else if (this.awaited && this.#now() - this.#attemptAt >= RETRY_MS) await this.refresh();
    return this.document;
  }

  /**
   * Reads the document; a failure keeps the last good copy. A read asked for while one is under
   * way starts when it ends (what that one read may be older than the caller's reason to ask),
   * and asks made meanwhile share it.
   */
  refresh(): Promise<void> {
    if (this.#reading) {
      this.#queued ??= this.#reading.then(() => {
        this.#queued = undefined;
        return this.refresh();
      });
      return this.#queued;
    }
    this.#reading = this.#refresh().finally(() => {
      this.#reading = undefined;
      this.#onRead(this);
    });
    return this.#reading;
  }

  async #refresh(): Promise<void> {
    const url = this.url;
    if (!url) return;
    this.#attemptAt = this.#now();
    if (this.#isRegistrars(url)) {
      this.#error = `${url} is Registrar's own discovery document: give the server's own address (metadataUrl)`;
      return;
    }
    try {
      const document = await this.#read(url);
      if (!document || typeof document !== 'object' || Array.isArray(document)) throw new Error('not a JSON object');
      if (typeof (document as { issuer?: unknown }).issuer !== 'string') throw new Error('the document names no issuer');
      this.#document = document as Record<string, unknown>;
      this.#fetchedAt = this.#now();
      this.#error = undefined;
    } catch (err) {
      this.#error = messageOf(err);
    }
  }

  /** A shared origin routes the issuer's discovery to Registrar: reading it there would read Registrar's own. */
  #isRegistrars(url: string): boolean {
    const own = this.#registrar.issuer.replace(/\/+$/, '');
    const { origin, pathname } = new URL(own);
    return [`${own}/.well-known/openid-configuration`, `${origin}/.well-known/oauth-authorization-server${pathname === '/' ? '' : pathname}`].includes(url.replace(/\/+$/, ''));
  }

  /** What the document shows of the topology; undefined until a document was read (or when nowhere to read one). */
  topology(): Topology | undefined {
    if (!this.url) return undefined;
    const document = this.#document;
    if (!document) return this.#error?.includes("Registrar's own") ? { kind: 'split', issuer: undefined, problem: this.#error } : undefined;
    const issuer = String(document.issuer);
    if (sameUrl(issuer, this.#registrar.issuer)) return { kind: 'shared-issuer', issuer };
    if (typeof document.registration_endpoint === 'string' && sameUrl(document.registration_endpoint, this.#registrar.registrationEndpoint)) {
      return { kind: 'server-discovery', issuer };
    }
    return {
      kind: 'split',
      issuer,
      problem:
        `the server's issuer is ${issuer} and Registrar's is ${this.#registrar.issuer}, and the server's discovery names ` +
        `${typeof document.registration_endpoint === 'string' ? document.registration_endpoint : 'no registration endpoint'}, not ${this.#registrar.registrationEndpoint}: ` +
        'put both behind one origin, or have the server name this registration endpoint (docs/authorization-servers.md)',
    };
  }
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
