// Collections `configuration` (one document, `server`, with its revision) and `config_changes`.
import type { Collection } from 'mongodb';
import type { ConfigChange, StoredConfig } from '../records.ts';
import type { ConfigurationRecords } from '../roles.ts';
import { isDuplicateKey, type MongoConnection } from './connection.ts';

interface ConfigDocument {
  _id: 'server';
  revision: number;
  updated_at: number;
  properties: Record<string, unknown>;
  file_hash?: string;
}

export class MongoConfiguration implements ConfigurationRecords {
  readonly #connection: MongoConnection;
  readonly #configuration: Collection<ConfigDocument>;
  readonly #changes: Collection<ConfigChange & { _id: string }>;

  constructor(connection: MongoConnection) {
    this.#connection = connection;
    this.#configuration = connection.db.collection<ConfigDocument>('configuration');
    this.#changes = connection.db.collection<ConfigChange & { _id: string }>('config_changes');
  }

  async read(): Promise<StoredConfig | undefined> {
    const found = await this.#connection.run(() => this.#configuration.findOne({ _id: 'server' }));
    if (!found) return undefined;
    const stored: StoredConfig = { properties: found.properties, revision: found.revision, updatedAt: found.updated_at };
    return found.file_hash === undefined ? stored : { ...stored, fileHash: found.file_hash };
  }

  async write(properties: Record<string, unknown>, expectedRevision: number, now: number, fileHash?: string): Promise<boolean> {
    const applied = fileHash === undefined ? {} : { file_hash: fileHash };
    if (expectedRevision === 0) {
      try {
        await this.#connection.run(() => this.#configuration.insertOne({ _id: 'server', revision: 1, updated_at: now, properties, ...applied }));
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    }
    const storedRevision = async () => (await this.#connection.run(() => this.#configuration.findOne({ _id: 'server' })))?.revision;
    if (!(await this.#connection.claim('configuration', expectedRevision, storedRevision))) return false;
    const result = await this.#connection.run(() =>
      this.#configuration.updateOne({ _id: 'server', revision: expectedRevision }, { $set: { properties, updated_at: now, ...applied }, $inc: { revision: 1 } }),
    );
    if (result.matchedCount === 1) this.#connection.claims?.release('configuration', expectedRevision + 1);
    return result.matchedCount === 1;
  }

  async appendChange(record: ConfigChange): Promise<void> {
    await this.#connection.run(() => this.#changes.insertOne({ _id: record.id, ...record }));
  }

  async listChanges(limit: number): Promise<ConfigChange[]> {
    const found = await this.#connection.run(() => this.#changes.find({}).sort({ at: -1, _id: -1 }).limit(limit).toArray());
    return found.map(({ _id: _, ...record }) => record);
  }
}
