// Collection `quota_places`: the place number is in the unique _id, so no two claims take the same place.
import type { Collection } from 'mongodb';
import { TemporarilyUnavailable } from '../../errors/index.ts';
import type { QuotaPlaces } from '../roles.ts';
import { isDuplicateKey, type MongoConnection } from './connection.ts';

interface PlaceDocument {
  _id: string;
  quota: string;
  holder: string;
  n: number;
  at: number;
}

/** Claims of a place that lose their race to another are tried again this many times. */
const PLACE_ATTEMPTS = 8;

export class MongoQuotas implements QuotaPlaces {
  readonly #connection: MongoConnection;
  readonly #places: Collection<PlaceDocument>;

  constructor(connection: MongoConnection) {
    this.#connection = connection;
    this.#places = connection.db.collection<PlaceDocument>('quota_places');
  }

  async ensureIndexes(): Promise<void> {
    await this.#places.createIndex({ quota: 1, holder: 1 }, { unique: true, name: 'quota_holder_unique' });
  }

  async claim(quota: string, holder: string, limit: number, now: number): Promise<boolean> {
    for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt += 1) {
      const taken = await this.#connection.run(() => this.#places.find({ quota }, { projection: { holder: 1, n: 1 } }).toArray());
      if (taken.some((place) => place.holder === holder)) return true;
      if (taken.length >= limit) return false;
      const used = new Set(taken.map((place) => place.n));
      let n = 1;
      while (used.has(n)) n += 1;
      if (n > limit) return false;
      try {
        await this.#connection.run(() => this.#places.insertOne({ _id: `${quota}#${n}`, quota, holder, n, at: now }));
        return true;
      } catch (err) {
        // Another claim took this place first (or this holder's twin did): look again.
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new TemporarilyUnavailable('too many registrations raced for the same places; try again', 1);
  }

  async release(quota: string, holder: string): Promise<void> {
    await this.#connection.run(() => this.#places.deleteOne({ quota, holder }));
  }

  async holders(quota: string): Promise<Array<{ holder: string; at: number }>> {
    const places = await this.#connection.run(() => this.#places.find({ quota }, { projection: { holder: 1, at: 1 } }).toArray());
    return places.map((place) => ({ holder: place.holder, at: place.at }));
  }
}
