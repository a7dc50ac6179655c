// Collection `decisions`: one document per decision record, kept by age (purged by `at`).
import type { Collection, Filter } from 'mongodb';
import type { DecisionFilter, DecisionRecord } from '../records.ts';
import type { DecisionLog } from '../roles.ts';
import type { MongoConnection } from './connection.ts';

export interface DecisionDocument {
  _id: string;
  at: number;
  client_id: string | null;
  record: DecisionRecord;
}

export class MongoDecisions implements DecisionLog {
  readonly #connection: MongoConnection;
  readonly #decisions: Collection<DecisionDocument>;

  constructor(connection: MongoConnection) {
    this.#connection = connection;
    this.#decisions = connection.db.collection<DecisionDocument>('decisions');
  }

  async ensureIndexes(): Promise<void> {
    await this.#decisions.createIndex({ at: -1 }, { name: 'at' });
    await this.#decisions.createIndex({ client_id: 1, at: -1 }, { name: 'client_at' });
  }

  async append(records: DecisionRecord[]): Promise<void> {
    const documents = records.map((record) => ({ _id: record.id, at: record.at, client_id: record.clientId, record }));
    await this.#connection.run(() => this.#decisions.insertMany(documents, { ordered: false }));
  }

  async list(filter: DecisionFilter): Promise<DecisionRecord[]> {
    const query: Filter<DecisionDocument> = {};
    if (filter.clientId !== undefined) query.client_id = filter.clientId;
    if (filter.requestId !== undefined) query['record.requestId'] = filter.requestId;
    if (filter.operation !== undefined) query['record.operation'] = filter.operation;
    if (filter.outcome !== undefined) query['record.outcome'] = filter.outcome;
    if (filter.script !== undefined) query['record.scripts.script'] = filter.script;
    if (filter.version !== undefined) query['record.scripts.version'] = filter.version;
    if (filter.since !== undefined || filter.until !== undefined) {
      query.at = { ...(filter.since !== undefined ? { $gte: filter.since } : {}), ...(filter.until !== undefined ? { $lt: filter.until } : {}) };
    }
    if (filter.before !== undefined) query.$or = [{ at: { $lt: filter.before.at } }, { at: filter.before.at, _id: { $lt: filter.before.id } }];
    const found = await this.#connection.run(() => this.#decisions.find(query).sort({ at: -1, _id: -1 }).limit(filter.limit).toArray());
    return found.map((document) => document.record);
  }

  async purge(before: number): Promise<number> {
    const result = await this.#connection.run(() => this.#decisions.deleteMany({ at: { $lt: before } }));
    return result.deletedCount;
  }
}
