// Revision claims, for MongoDB wire servers whose conditional updates are not atomic (FerretDB
// 1.x over SQLite lets several concurrent updates match the same revision). Each update first
// claims its revision by inserting `<key>#<revision>`, whose unique _id every server enforces;
// only the claim's winner writes. A claim left by a writer that died between claiming and
// writing is taken over after CLAIM_STALE_MS. MongoDB itself needs none of this.
import { MongoServerError, type Collection } from 'mongodb';

interface ClaimDocument {
  _id: string;
  key: string;
  at: number;
}

const DUPLICATE_KEY = 11000;
const CLAIM_STALE_MS = 10_000;

export class RevisionClaims {
  readonly #claims: Collection<ClaimDocument>;
  readonly #run: <T>(operation: () => Promise<T>) => Promise<T>;

  constructor(collection: Collection<ClaimDocument>, run: <T>(operation: () => Promise<T>) => Promise<T>) {
    this.#claims = collection;
    this.#run = run;
  }

  ensureIndexes(): Promise<string> {
    return this.#claims.createIndex({ key: 1 }, { name: 'key' });
  }

  /**
   * Wins the right to move `key` from `expectedRevision` to the next one, or returns false.
   * `current` reads the revision now stored, to take over a stale claim.
   */
  async claim(key: string, expectedRevision: number, current: () => Promise<number | undefined>): Promise<boolean> {
    const claim = { _id: `${key}#${expectedRevision + 1}`, key, at: Date.now() };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await this.#run(() => this.#claims.insertOne(claim));
        return true;
      } catch (err) {
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
        const existing = await this.#run(() => this.#claims.findOne({ _id: claim._id }));
        const stale = existing && Date.now() - existing.at > CLAIM_STALE_MS && (await current()) === expectedRevision;
        if (!stale) return false;
        await this.#run(() => this.#claims.deleteOne({ _id: claim._id, at: existing.at }));
      }
    }
    return false;
  }

  /** After a successful move to `revision`, the claim for the one before is no longer needed. */
  release(key: string, revision: number): void {
    this.#claims.deleteOne({ _id: `${key}#${revision - 1}` }).catch(() => {});
  }

  async forget(key: string): Promise<void> {
    await this.#run(() => this.#claims.deleteMany({ key }));
  }
}
