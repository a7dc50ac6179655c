// The decisions table: one row per decision record, kept by age (purged by `at`).
import type { DecisionFilter, DecisionRecord } from '../records.ts';
import type { DecisionLog } from '../roles.ts';
import { conditions, type Connection } from './connection.ts';

export class EmbeddedDecisions implements DecisionLog {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async append(records: DecisionRecord[]): Promise<void> {
    const { db } = this.#connection;
    this.#connection.write(() => {
      db.exec('BEGIN');
      try {
        const insert = this.#connection.statement('INSERT INTO decisions (id, at, client_id, doc) VALUES (?, ?, ?, ?)');
        for (const record of records) insert.run(record.id, record.at, record.clientId, JSON.stringify(record));
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async list(filter: DecisionFilter): Promise<DecisionRecord[]> {
    const { clauses, values, where } = conditions();
    if (filter.clientId !== undefined) where('client_id = ?', filter.clientId);
    if (filter.requestId !== undefined) where("json_extract(doc, '$.requestId') = ?", filter.requestId);
    if (filter.operation !== undefined) where("json_extract(doc, '$.operation') = ?", filter.operation);
    if (filter.outcome !== undefined) where("json_extract(doc, '$.outcome') = ?", filter.outcome);
    if (filter.script !== undefined) where("EXISTS (SELECT 1 FROM json_each(doc, '$.scripts') WHERE json_extract(value, '$.script') = ?)", filter.script);
    if (filter.version !== undefined) where("EXISTS (SELECT 1 FROM json_each(doc, '$.scripts') WHERE json_extract(value, '$.version') = ?)", filter.version);
    if (filter.since !== undefined) where('at >= ?', filter.since);
    if (filter.until !== undefined) where('at < ?', filter.until);
    if (filter.before !== undefined) where('(at < ? OR (at = ? AND id < ?))', filter.before.at, filter.before.at, filter.before.id);
    const sql = `SELECT doc FROM decisions ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
    return this.#connection.documents<DecisionRecord>(sql, ...values, filter.limit);
  }

  purge(before: number): Promise<number> {
    return this.#connection.purge('DELETE FROM decisions WHERE rowid IN (SELECT rowid FROM decisions WHERE at < ? LIMIT ?)', before);
  }
}
