// Collection `processes`: one document per server process, replaced at each report.
import type { Collection } from 'mongodb';
import type { ProcessReport } from '../records.ts';
import type { FleetRecords } from '../roles.ts';
import type { MongoConnection } from './connection.ts';

export class MongoFleet implements FleetRecords {
  readonly #connection: MongoConnection;
  readonly #processes: Collection<ProcessReport & { _id: string }>;

  constructor(connection: MongoConnection) {
    this.#connection = connection;
    this.#processes = connection.db.collection<ProcessReport & { _id: string }>('processes');
  }

  async report(record: ProcessReport): Promise<void> {
    await this.#connection.run(() => this.#processes.replaceOne({ _id: record.id }, { ...record }, { upsert: true }));
  }

  async list(): Promise<ProcessReport[]> {
    const found = await this.#connection.run(() => this.#processes.find({}).sort({ reportedAt: -1 }).toArray());
    return found.map(({ _id: _, ...record }) => record);
  }

  async remove(id: string): Promise<void> {
    await this.#connection.run(() => this.#processes.deleteOne({ _id: id }));
  }

  async purge(before: number): Promise<number> {
    return (await this.#connection.run(() => this.#processes.deleteMany({ reportedAt: { $lt: before } }))).deletedCount;
  }
}
