// Quota places: one row per holder of a place.
import type { QuotaPlaces } from '../roles.ts';
import type { Connection } from './connection.ts';

// One statement: SQLite runs it under the database's write lock, so two claims never both see a free place.
const CLAIM = 'INSERT OR IGNORE INTO quota_places (quota, holder, at) SELECT ?, ?, ? WHERE (SELECT COUNT(*) FROM quota_places WHERE quota = ?) < ?';

export class EmbeddedQuotas implements QuotaPlaces {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async claim(quota: string, holder: string, limit: number, now: number): Promise<boolean> {
    if (this.#connection.run(CLAIM, quota, holder, now, quota, limit) === 1) return true;
    return this.#connection.get('SELECT 1 FROM quota_places WHERE quota = ? AND holder = ?', quota, holder) !== undefined;
  }

  async release(quota: string, holder: string): Promise<void> {
    this.#connection.run('DELETE FROM quota_places WHERE quota = ? AND holder = ?', quota, holder);
  }

  async holders(quota: string): Promise<Array<{ holder: string; at: number }>> {
    return this.#connection.all<{ holder: string; at: number }>('SELECT holder, at FROM quota_places WHERE quota = ?', quota).map((row) => ({ holder: row.holder, at: Number(row.at) }));
  }
}
