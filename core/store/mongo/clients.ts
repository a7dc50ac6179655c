// Collection `clients`: one document per client, the indexed values beside the record, updates
// conditional on the revision they read.
import type { Collection, Filter } from 'mongodb';
import type { Logger } from 'pino';
import { indexedValues, type ClientFilter, type ClientRecord } from '../records.ts';
import type { ClientRecords } from '../roles.ts';
import type { MongoConnection } from './connection.ts';

export interface ClientDocument {
  client_id: string;
  revision: number;
  expires_at: Date | null;
  software_id: string | null;
  organisation: string | null;
  redirect_hosts: string[];
  created_at: number;
  record: ClientRecord;
}

const unexpired = (now: number): Filter<ClientDocument> => ({ $or: [{ expires_at: null }, { expires_at: { $gt: new Date(now) } }] });

function documentOf(record: ClientRecord): ClientDocument {
  const { softwareId, organisation, redirectHosts } = indexedValues(record);
  return {
    client_id: record.clientId,
    revision: record.revision,
    expires_at: record.expiresAt === null ? null : new Date(record.expiresAt),
    software_id: softwareId,
    organisation,
    redirect_hosts: redirectHosts,
    created_at: record.createdAt,
    record,
  };
}

function filterOf(filter: ClientFilter, now: number): Filter<ClientDocument> {
  const query: Filter<ClientDocument> = { ...unexpired(now) };
  if (filter.softwareId !== undefined) query.software_id = filter.softwareId;
  if (filter.organisation !== undefined) query.organisation = filter.organisation;
  if (filter.redirectHost !== undefined) query.redirect_hosts = filter.redirectHost;
  if (filter.name !== undefined) query['record.metadata.client_name'] = { $regex: filter.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
  if (filter.status === 'pending') query['record.metadata.client_status'] = 'pending';
  if (filter.status === 'active') query['record.metadata.client_status'] = { $ne: 'pending' };
  if (filter.initialAccessTokenId !== undefined) query['record.initialAccessTokenId'] = filter.initialAccessTokenId;
  if (filter.usedBefore !== undefined) {
    query.$or = [{ 'record.lastUsedAt': { $lt: filter.usedBefore } }, { 'record.lastUsedAt': { $exists: false }, created_at: { $lt: filter.usedBefore } }];
  }
  return query;
}

export class MongoClients implements ClientRecords {
  readonly #connection: MongoConnection;
  readonly #clients: Collection<ClientDocument>;

  constructor(connection: MongoConnection) {
    this.#connection = connection;
    this.#clients = connection.db.collection<ClientDocument>('clients');
  }

  async ensureIndexes(logger: Logger): Promise<void> {
    const clients = this.#clients;
    await clients.createIndex({ client_id: 1 }, { unique: true, name: 'client_id_unique' });
    await clients.createIndex({ software_id: 1 }, { name: 'software_id', sparse: true });
    await clients.createIndex({ organisation: 1 }, { name: 'organisation', sparse: true });
    await clients.createIndex({ redirect_hosts: 1 }, { name: 'redirect_hosts' });
    try {
      await clients.createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
    } catch (err) {
      // FerretDB 1.x does not implement TTL indexes; expiry is still enforced on every read and purged.
      logger.warn({ collection: 'clients', err }, 'the MongoDB server refused a TTL index; Registrar purges expired documents itself');
      await clients.createIndex({ expires_at: 1 }, { name: 'expires_at' });
    }
  }

  async insert(record: ClientRecord): Promise<void> {
    await this.#connection.run(() => this.#clients.insertOne(documentOf(record)));
  }

  async find(clientId: string, now: number): Promise<ClientRecord | undefined> {
    const found = await this.#connection.run(() => this.#clients.findOne({ client_id: clientId, ...unexpired(now) }, { projection: { record: 1 } }));
    return found?.record;
  }

  async replace(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const { client_id: _, ...fields } = documentOf(record);
    const key = `client:${record.clientId}`;
    const storedRevision = async () => (await this.#connection.run(() => this.#clients.findOne({ client_id: record.clientId }, { projection: { revision: 1 } })))?.revision;
    if (!(await this.#connection.claim(key, expectedRevision, storedRevision))) return false;
    const result = await this.#connection.run(() => this.#clients.updateOne({ client_id: record.clientId, revision: expectedRevision }, { $set: fields }));
    if (result.matchedCount === 1) this.#connection.claims?.release(key, expectedRevision + 1);
    return result.matchedCount === 1;
  }

  async remove(clientId: string): Promise<boolean> {
    const result = await this.#connection.run(() => this.#clients.deleteOne({ client_id: clientId }));
    await this.#connection.claims?.forget(`client:${clientId}`);
    return result.deletedCount === 1;
  }

  async count(filter: ClientFilter, now: number): Promise<number> {
    return this.#connection.run(() => this.#clients.countDocuments(filterOf(filter, now)));
  }

  async query(filter: ClientFilter, now: number, limit: number, offset = 0): Promise<ClientRecord[]> {
    const found = await this.#connection.run(() =>
      this.#clients.find(filterOf(filter, now), { projection: { record: 1 } }).sort({ created_at: 1, client_id: 1 }).skip(offset).limit(limit).toArray(),
    );
    return found.map((document) => document.record);
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.#connection.run(() => this.#clients.deleteMany({ expires_at: { $ne: null, $lte: new Date(now) } }));
    return result.deletedCount;
  }
}
