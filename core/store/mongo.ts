// The production store: MongoDB through the official driver. One document per client with the
// indexed values beside the record; a unique index on client_id, a TTL index on expires_at (the
// server also refuses expired clients itself, and purges them, so a server without TTL
// support, or a slow TTL monitor, changes nothing), indexes for the clients plugin's lookups,
// and optimistic concurrency on update (the update names the revision it read). A conditional
// updateOne is atomic on MongoDB; on FerretDB 1.x it is not, and revision claims
// (revisionClaims.ts) make it so.
import { MongoClient, MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import type { Logger } from 'pino';
import { TemporarilyUnavailable } from '../errors/index.ts';
import { RevisionClaims } from './revisionClaims.ts';
import {
  indexedValues,
  type AdminClientRecord,
  type ClientFilter,
  type ClientRecord,
  type ClientStore,
  type ConfigChange,
  type DecisionFilter,
  type DecisionRecord,
  type InitialAccessTokenRecord,
  type StoredConfig,
} from './types.ts';

interface ClientDocument {
  client_id: string;
  revision: number;
  expires_at: Date | null;
  software_id: string | null;
  organisation: string | null;
  redirect_hosts: string[];
  created_at: number;
  record: ClientRecord;
}

interface ConfigDocument {
  _id: 'server';
  revision: number;
  updated_at: number;
  properties: Record<string, unknown>;
}

interface DecisionDocument {
  _id: string;
  at: number;
  client_id: string | null;
  record: DecisionRecord;
}

/** One place of a quota: the place number is in the unique _id, so no two claims take the same place. */
interface PlaceDocument {
  _id: string;
  quota: string;
  holder: string;
  n: number;
  at: number;
}

const DUPLICATE_KEY = 11000;
/** Claims of a place that lose their race to another are tried again this many times. */
const PLACE_ATTEMPTS = 8;
/** How often an open circuit probes the server. */
const PROBE_INTERVAL_MS = 500;

export interface MongoStoreOptions {
  uri: string;
  database: string;
  logger: Logger;
  /** How long the driver looks for a server before an operation fails (ms). */
  serverSelectionTimeoutMs?: number;
  /** Claim revisions before conditional updates: `auto` (default) does so on FerretDB only. */
  revisionClaims?: 'auto' | boolean;
}

export class MongoStore implements ClientStore {
  readonly kind = 'mongodb';
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #clients: Collection<ClientDocument>;
  readonly #configuration: Collection<ConfigDocument>;
  readonly #decisions: Collection<DecisionDocument>;
  /** Set when the server's conditional updates are not atomic on their own. */
  readonly #claims: RevisionClaims | undefined;
  /** Whether updates claim their revision first (see revisionClaims.ts). */
  readonly claimsRevisions: boolean;
  readonly #adminClients: Collection<AdminClientRecord & { _id: string }>;
  readonly #configChanges: Collection<ConfigChange & { _id: string }>;
  readonly #initialAccessTokens: Collection<InitialAccessTokenRecord & { _id: string }>;
  readonly #places: Collection<PlaceDocument>;
  readonly #logger: Logger;
  #down = false;
  #closed = false;
  #probe: NodeJS.Timeout | undefined;

  private constructor(client: MongoClient, database: string, logger: Logger, claimRevisions: boolean) {
    this.#client = client;
    this.#db = client.db(database);
    this.#clients = this.#db.collection<ClientDocument>('clients');
    this.#configuration = this.#db.collection<ConfigDocument>('configuration');
    this.#decisions = this.#db.collection<DecisionDocument>('decisions');
    this.claimsRevisions = claimRevisions;
    this.#claims = claimRevisions ? new RevisionClaims(this.#db.collection('revision_claims'), (operation) => this.#run(operation)) : undefined;
    this.#adminClients = this.#db.collection<AdminClientRecord & { _id: string }>('admin_clients');
    this.#configChanges = this.#db.collection<ConfigChange & { _id: string }>('config_changes');
    this.#initialAccessTokens = this.#db.collection<InitialAccessTokenRecord & { _id: string }>('initial_access_tokens');
    this.#places = this.#db.collection<PlaceDocument>('quota_places');
    this.#logger = logger;
  }

  /** Connects and ensures the indexes. Fails with a clear message when MongoDB cannot be reached. */
  static async connect(options: MongoStoreOptions): Promise<MongoStore> {
    // A serverSelectionTimeoutMS in the URI wins over the default.
    const client = new MongoClient(options.uri, {
      ...(/serverSelectionTimeoutMS=/i.test(options.uri) ? {} : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000 }),
      appName: 'registrar',
    });
    try {
      await client.connect();
      await client.db(options.database).command({ ping: 1 });
    } catch (err) {
      await client.close().catch(() => {});
      throw new Error(`cannot reach MongoDB at ${redact(options.uri)}: ${(err as Error).message}`, { cause: err });
    }
    const claims = options.revisionClaims ?? 'auto';
    const ferretdb = claims === 'auto' && (await client.db('admin').command({ buildInfo: 1 })).ferretdbVersion !== undefined;
    const store = new MongoStore(client, options.database, options.logger, claims === true || ferretdb);
    await store.#ensureIndexes();
    return store;
  }

  async #ensureIndexes(): Promise<void> {
    const clients = this.#clients;
    await clients.createIndex({ client_id: 1 }, { unique: true, name: 'client_id_unique' });
    await clients.createIndex({ software_id: 1 }, { name: 'software_id', sparse: true });
    await clients.createIndex({ organisation: 1 }, { name: 'organisation', sparse: true });
    await clients.createIndex({ redirect_hosts: 1 }, { name: 'redirect_hosts' });
    await this.#decisions.createIndex({ at: -1 }, { name: 'at' });
    await this.#decisions.createIndex({ client_id: 1, at: -1 }, { name: 'client_at' });
    await this.#claims?.ensureIndexes();
    await this.#initialAccessTokens.createIndex({ tokenHash: 1 }, { unique: true, name: 'token_hash_unique' });
    await this.#places.createIndex({ quota: 1, holder: 1 }, { unique: true, name: 'quota_holder_unique' });
    await this.#ttlIndex(clients, 'expires_at');
    // Decision records are kept by age, judged at purge time; the per-record expiry of earlier versions goes.
    for (const name of ['expires_at_ttl', 'expires_at']) await this.#decisions.dropIndex(name).catch(() => undefined);
  }

  async #ttlIndex(collection: Collection<any>, field: string): Promise<void> {
    try {
      await collection.createIndex({ [field]: 1 }, { name: `${field}_ttl`, expireAfterSeconds: 0 });
    } catch (err) {
      // FerretDB 1.x does not implement TTL indexes; expiry is still enforced on every read and purged.
      this.#logger.warn(
        { collection: collection.collectionName, err: (err as Error).message },
        'the MongoDB server refused a TTL index; Registrar purges expired documents itself',
      );
      await collection.createIndex({ [field]: 1 }, { name: field });
    }
  }

  /**
   * Runs an operation; an unreachable server is a retryable 503, logged once per outage. Once an
   * outage is detected the circuit is open: operations fail at once, without waiting for server
   * selection, while a probe in the background finds when the server is back.
   */
  async #run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#down) throw new TemporarilyUnavailable('the client store is unavailable, try again', 2);
    try {
      return await operation();
    } catch (err) {
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) throw err;
      this.#open(err);
      throw new TemporarilyUnavailable('the client store is unavailable, try again', 2, err);
    }
  }

  #open(err: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#logger.error({ err: (err as Error).message }, 'MongoDB is unreachable: answering 503 until it is back');
    const probe = async (): Promise<void> => {
      if (this.#closed) return;
      try {
        await this.#db.command({ ping: 1 });
        this.#down = false;
        this.#logger.warn('MongoDB is reachable again');
      } catch {
        this.#probe = setTimeout(() => void probe(), PROBE_INTERVAL_MS);
      }
    };
    this.#probe = setTimeout(() => void probe(), PROBE_INTERVAL_MS);
  }

  #unexpired(now: number): Filter<ClientDocument> {
    return { $or: [{ expires_at: null }, { expires_at: { $gt: new Date(now) } }] };
  }

  #document(record: ClientRecord): ClientDocument {
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

  async insert(record: ClientRecord): Promise<void> {
    await this.#run(() => this.#clients.insertOne(this.#document(record)));
  }

  async find(clientId: string, now: number): Promise<ClientRecord | undefined> {
    const found = await this.#run(() => this.#clients.findOne({ client_id: clientId, ...this.#unexpired(now) }, { projection: { record: 1 } }));
    return found?.record;
  }

  /** Whether this writer may move `key` from `expectedRevision` on (always, unless claims are needed). */
  async #claim(key: string, expectedRevision: number, current: () => Promise<number | undefined>): Promise<boolean> {
    return this.#claims ? this.#claims.claim(key, expectedRevision, current) : true;
  }

  async replace(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const { client_id: _, ...fields } = this.#document(record);
    const key = `client:${record.clientId}`;
    const storedRevision = async () =>
      (await this.#run(() => this.#clients.findOne({ client_id: record.clientId }, { projection: { revision: 1 } })))?.revision;
    if (!(await this.#claim(key, expectedRevision, storedRevision))) return false;
    const result = await this.#run(() => this.#clients.updateOne({ client_id: record.clientId, revision: expectedRevision }, { $set: fields }));
    if (result.matchedCount === 1) this.#claims?.release(key, expectedRevision + 1);
    return result.matchedCount === 1;
  }

  async remove(clientId: string): Promise<boolean> {
    const result = await this.#run(() => this.#clients.deleteOne({ client_id: clientId }));
    await this.#claims?.forget(`client:${clientId}`);
    return result.deletedCount === 1;
  }

  #filter(filter: ClientFilter, now: number): Filter<ClientDocument> {
    const query: Filter<ClientDocument> = { ...this.#unexpired(now) };
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

  async count(filter: ClientFilter, now: number): Promise<number> {
    return this.#run(() => this.#clients.countDocuments(this.#filter(filter, now)));
  }

  async query(filter: ClientFilter, now: number, limit: number, offset = 0): Promise<ClientRecord[]> {
    const found = await this.#run(() =>
      this.#clients.find(this.#filter(filter, now), { projection: { record: 1 } }).sort({ created_at: 1, client_id: 1 }).skip(offset).limit(limit).toArray(),
    );
    return found.map((document) => document.record);
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.#run(() => this.#clients.deleteMany({ expires_at: { $ne: null, $lte: new Date(now) } }));
    return result.deletedCount;
  }

  async readConfig(): Promise<StoredConfig | undefined> {
    const found = await this.#run(() => this.#configuration.findOne({ _id: 'server' }));
    return found ? { properties: found.properties, revision: found.revision, updatedAt: found.updated_at } : undefined;
  }

  async writeConfig(properties: Record<string, unknown>, expectedRevision: number, now: number): Promise<boolean> {
    if (expectedRevision === 0) {
      try {
        await this.#run(() => this.#configuration.insertOne({ _id: 'server', revision: 1, updated_at: now, properties }));
        return true;
      } catch (err) {
        if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return false;
        throw err;
      }
    }
    const storedRevision = async () => (await this.#run(() => this.#configuration.findOne({ _id: 'server' })))?.revision;
    if (!(await this.#claim('configuration', expectedRevision, storedRevision))) return false;
    const result = await this.#run(() =>
      this.#configuration.updateOne({ _id: 'server', revision: expectedRevision }, { $set: { properties, updated_at: now }, $inc: { revision: 1 } }),
    );
    if (result.matchedCount === 1) this.#claims?.release('configuration', expectedRevision + 1);
    return result.matchedCount === 1;
  }

  async appendDecisions(records: DecisionRecord[]): Promise<void> {
    const documents = records.map((record) => ({ _id: record.id, at: record.at, client_id: record.clientId, record }));
    await this.#run(() => this.#decisions.insertMany(documents, { ordered: false }));
  }

  async listDecisions(filter: DecisionFilter): Promise<DecisionRecord[]> {
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
    const found = await this.#run(() => this.#decisions.find(query).sort({ at: -1, _id: -1 }).limit(filter.limit).toArray());
    return found.map((document) => document.record);
  }

  async purgeDecisions(before: number): Promise<number> {
    const result = await this.#run(() => this.#decisions.deleteMany({ at: { $lt: before } }));
    return result.deletedCount;
  }

  async findAdminClient(clientId: string): Promise<AdminClientRecord | undefined> {
    const found = await this.#run(() => this.#adminClients.findOne({ _id: clientId }));
    if (!found) return undefined;
    const { _id: _, ...record } = found;
    return record;
  }

  async appendConfigChange(record: ConfigChange): Promise<void> {
    await this.#run(() => this.#configChanges.insertOne({ _id: record.id, ...record }));
  }

  async listConfigChanges(limit: number): Promise<ConfigChange[]> {
    const found = await this.#run(() => this.#configChanges.find({}).sort({ at: -1, _id: -1 }).limit(limit).toArray());
    return found.map(({ _id: _, ...record }) => record);
  }

  async hasAdminClients(): Promise<boolean> {
    return (await this.#run(() => this.#adminClients.findOne({}, { projection: { _id: 1 } }))) !== null;
  }

  async saveAdminClient(record: AdminClientRecord): Promise<void> {
    await this.#run(() => this.#adminClients.replaceOne({ _id: record.clientId }, { ...record }, { upsert: true }));
  }

  async saveInitialAccessToken(record: InitialAccessTokenRecord): Promise<void> {
    await this.#run(() => this.#initialAccessTokens.insertOne({ _id: record.id, ...record }));
  }

  async findInitialAccessToken(tokenHash: string): Promise<InitialAccessTokenRecord | undefined> {
    const found = await this.#run(() => this.#initialAccessTokens.findOne({ tokenHash }));
    if (!found) return undefined;
    const { _id, ...record } = found;
    return record;
  }

  async listInitialAccessTokens(): Promise<InitialAccessTokenRecord[]> {
    const found = await this.#run(() => this.#initialAccessTokens.find({}).sort({ createdAt: -1, _id: -1 }).toArray());
    return found.map(({ _id, ...record }) => record);
  }

  async deleteInitialAccessToken(id: string): Promise<boolean> {
    return (await this.#run(() => this.#initialAccessTokens.deleteOne({ _id: id }))).deletedCount === 1;
  }

  async claimPlace(quota: string, holder: string, limit: number, now: number): Promise<boolean> {
    for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt += 1) {
      const taken = await this.#run(() => this.#places.find({ quota }, { projection: { holder: 1, n: 1 } }).toArray());
      if (taken.some((place) => place.holder === holder)) return true;
      if (taken.length >= limit) return false;
      const used = new Set(taken.map((place) => place.n));
      let n = 1;
      while (used.has(n)) n += 1;
      if (n > limit) return false;
      try {
        await this.#run(() => this.#places.insertOne({ _id: `${quota}#${n}`, quota, holder, n, at: now }));
        return true;
      } catch (err) {
        // Another claim took this place first (or this holder's twin did): look again.
        if (!(err instanceof MongoServerError && err.code === DUPLICATE_KEY)) throw err;
      }
    }
    throw new TemporarilyUnavailable('too many registrations raced for the same places; try again', 1);
  }

  async releasePlace(quota: string, holder: string): Promise<void> {
    await this.#run(() => this.#places.deleteOne({ quota, holder }));
  }

  async placeHolders(quota: string): Promise<Array<{ holder: string; at: number }>> {
    return (await this.#run(() => this.#places.find({ quota }, { projection: { holder: 1, at: 1 } }).toArray())).map((place) => ({ holder: place.holder, at: place.at }));
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#db.command({ ping: 1 }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#probe);
    await this.#client.close();
  }
}

/** The URI without its password, for messages. */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
