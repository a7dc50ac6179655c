// Collections `admin_clients` and `initial_access_tokens`.
import type { Collection } from 'mongodb';
import type { AdminClientRecord, InitialAccessTokenRecord } from '../records.ts';
import type { Administration } from '../roles.ts';
import type { MongoConnection } from './connection.ts';

export class MongoAdministration implements Administration {
  readonly #connection: MongoConnection;
  readonly #adminClients: Collection<AdminClientRecord & { _id: string }>;
  readonly #tokens: Collection<InitialAccessTokenRecord & { _id: string }>;

  constructor(connection: MongoConnection) {
    this.#connection = connection;
    this.#adminClients = connection.db.collection<AdminClientRecord & { _id: string }>('admin_clients');
    this.#tokens = connection.db.collection<InitialAccessTokenRecord & { _id: string }>('initial_access_tokens');
  }

  async ensureIndexes(): Promise<void> {
    await this.#tokens.createIndex({ tokenHash: 1 }, { unique: true, name: 'token_hash_unique' });
  }

  async findAdminClient(clientId: string): Promise<AdminClientRecord | undefined> {
    const found = await this.#connection.run(() => this.#adminClients.findOne({ _id: clientId }));
    if (!found) return undefined;
    const { _id: _, ...record } = found;
    return record;
  }

  async saveAdminClient(record: AdminClientRecord): Promise<void> {
    await this.#connection.run(() => this.#adminClients.replaceOne({ _id: record.clientId }, { ...record }, { upsert: true }));
  }

  async hasAdminClients(): Promise<boolean> {
    return (await this.#connection.run(() => this.#adminClients.findOne({}, { projection: { _id: 1 } }))) !== null;
  }

  async saveInitialAccessToken(record: InitialAccessTokenRecord): Promise<void> {
    await this.#connection.run(() => this.#tokens.insertOne({ _id: record.id, ...record }));
  }

  async findInitialAccessToken(tokenHash: string): Promise<InitialAccessTokenRecord | undefined> {
    const found = await this.#connection.run(() => this.#tokens.findOne({ tokenHash }));
    if (!found) return undefined;
    const { _id: _, ...record } = found;
    return record;
  }

  async listInitialAccessTokens(): Promise<InitialAccessTokenRecord[]> {
    const found = await this.#connection.run(() => this.#tokens.find({}).sort({ createdAt: -1, _id: -1 }).toArray());
    return found.map(({ _id: _, ...record }) => record);
  }

  async deleteInitialAccessToken(id: string): Promise<boolean> {
    return (await this.#connection.run(() => this.#tokens.deleteOne({ _id: id }))).deletedCount === 1;
  }
}
