// The processes table: one row per server process, replaced at each report.
import type { ProcessReport } from '../records.ts';
import type { FleetRecords } from '../roles.ts';
import type { Connection } from './connection.ts';

export class EmbeddedFleet implements FleetRecords {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async report(record: ProcessReport): Promise<void> {
    this.#connection.run('INSERT OR REPLACE INTO processes (id, reported_at, doc) VALUES (?, ?, ?)', record.id, record.reportedAt, JSON.stringify(record));
  }

  async list(): Promise<ProcessReport[]> {
    return this.#connection.documents<ProcessReport>('SELECT doc FROM processes ORDER BY reported_at DESC');
  }

  async remove(id: string): Promise<void> {
    this.#connection.run('DELETE FROM processes WHERE id = ?', id);
  }

  async purge(before: number): Promise<number> {
    return this.#connection.run('DELETE FROM processes WHERE reported_at < ?', before);
  }
}
