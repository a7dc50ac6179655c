// What the MongoDB roles share: the database, a circuit around every operation (an unreachable
// server is a retryable 503, logged once per outage; once detected, operations fail at once while
// a probe finds when the server is back), and the revision claims wire servers without atomic
// conditional updates need (revisionClaims.ts).
import { MongoServerError, type Db } from 'mongodb';
import type { Logger } from 'pino';
import { TemporarilyUnavailable } from '../../errors/index.ts';
import { RevisionClaims } from './revisionClaims.ts';

export const DUPLICATE_KEY = 11000;
/** How often an open circuit probes the server. */
const PROBE_INTERVAL_MS = 500;

export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === DUPLICATE_KEY;

export class MongoConnection {
  readonly db: Db;
  /** Set when the server's conditional updates are not atomic on their own. */
  readonly claims: RevisionClaims | undefined;
  readonly #logger: Logger;
  #down = false;
  #closed = false;
  #probe: NodeJS.Timeout | undefined;

  constructor(db: Db, logger: Logger, claimRevisions: boolean) {
    this.db = db;
    this.#logger = logger;
    this.claims = claimRevisions ? new RevisionClaims(db.collection('revision_claims'), (operation) => this.run(operation)) : undefined;
  }

  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#down) throw new TemporarilyUnavailable('the client store is unavailable, try again', 2);
    try {
      return await operation();
    } catch (err) {
      if (isDuplicateKey(err)) throw err;
      this.#open(err);
      throw new TemporarilyUnavailable('the client store is unavailable, try again', 2, err);
    }
  }

  /** Whether this writer may move `key` from `expectedRevision` on (always, unless claims are needed). */
  async claim(key: string, expectedRevision: number, current: () => Promise<number | undefined>): Promise<boolean> {
    return this.claims ? this.claims.claim(key, expectedRevision, current) : true;
  }

  #open(err: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#logger.error({ err }, 'MongoDB is unreachable: answering 503 until it is back');
    const probe = async (): Promise<void> => {
      if (this.#closed) return;
      try {
        await this.db.command({ ping: 1 });
        this.#down = false;
        this.#logger.warn('MongoDB is reachable again');
      } catch {
        this.#probe = setTimeout(() => void probe(), PROBE_INTERVAL_MS);
      }
    };
    this.#probe = setTimeout(() => void probe(), PROBE_INTERVAL_MS);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#probe);
  }
}
