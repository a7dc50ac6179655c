// The production store: MongoDB through the official driver. One document per client with the
// indexed values beside the record; a unique index on client_id, a TTL index on expires_at (the
// server also refuses expired clients itself, and purges them, so a server without TTL
// support, or a slow TTL monitor, changes nothing), indexes for the clients plugin's lookups,
// and optimistic concurrency on update (the update names the revision it read). A conditional
// updateOne is atomic on MongoDB; on FerretDB 1.x it is not, and revision claims
// (revisionClaims.ts) make it so. Each role is a module; connection.ts is what they share.
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { messageOf } from '../../errors/index.ts';
import type { Store } from '../roles.ts';
import { MongoAdministration } from './administration.ts';
import { MongoClients } from './clients.ts';
import { MongoConfiguration } from './configuration.ts';
import { MongoConnection } from './connection.ts';
import { MongoDecisions } from './decisions.ts';
import { MongoFleet } from './fleet.ts';
import { MongoQuotas } from './quotas.ts';
import { migrate } from './schema.ts';

export interface MongoStoreOptions {
  uri: string;
  database: string;
  logger: Logger;
  /** How long the driver looks for a server before an operation fails (ms). */
  serverSelectionTimeoutMs?: number;
  /** Claim revisions before conditional updates: `auto` (default) does so on FerretDB only. */
  revisionClaims?: 'auto' | boolean;
}

export class MongoStore implements Store {
  readonly kind = 'mongodb';
  readonly clients: MongoClients;
  readonly decisions: MongoDecisions;
  readonly configuration: MongoConfiguration;
  readonly administration: MongoAdministration;
  readonly quotas: MongoQuotas;
  readonly fleet: MongoFleet;
  /** Whether updates claim their revision first (see revisionClaims.ts). */
  readonly claimsRevisions: boolean;
  readonly location: string;
  readonly #client: MongoClient;
  readonly #connection: MongoConnection;
  readonly #logger: Logger;

  private constructor(client: MongoClient, database: string, logger: Logger, claimRevisions: boolean, location: string) {
    this.#client = client;
    this.location = location;
    this.#logger = logger;
    this.claimsRevisions = claimRevisions;
    this.#connection = new MongoConnection(client.db(database), logger, claimRevisions);
    this.clients = new MongoClients(this.#connection);
    this.decisions = new MongoDecisions(this.#connection);
    this.configuration = new MongoConfiguration(this.#connection);
    this.administration = new MongoAdministration(this.#connection);
    this.quotas = new MongoQuotas(this.#connection);
    this.fleet = new MongoFleet(this.#connection);
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
      throw new Error(`cannot reach MongoDB at ${redact(options.uri)}: ${messageOf(err)}`, { cause: err });
    }
    const claims = options.revisionClaims ?? 'auto';
    const ferretdb = claims === 'auto' && (await client.db('admin').command({ buildInfo: 1 })).ferretdbVersion !== undefined;
    const location = `${redact(options.uri)} (database ${options.database})`;
    try {
      const migrated = await migrate(client.db(options.database), location);
      if (migrated.length > 0) options.logger.info({ steps: migrated }, 'the MongoDB store was brought to the current schema');
    } catch (err) {
      await client.close().catch(() => {});
      throw err;
    }
    const store = new MongoStore(client, options.database, options.logger, claims === true || ferretdb, location);
    await store.#ensureIndexes();
    return store;
  }

  async #ensureIndexes(): Promise<void> {
    await this.clients.ensureIndexes(this.#logger);
    await this.decisions.ensureIndexes();
    await this.administration.ensureIndexes();
    await this.quotas.ensureIndexes();
    await this.#connection.claims?.ensureIndexes();
  }

  async ping(): Promise<void> {
    await this.#connection.run(() => this.#connection.db.command({ ping: 1 }));
  }

  async close(): Promise<void> {
    this.#connection.close();
    await this.#client.close();
  }
}

/** The URI without its password, for messages. */
export function redact(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
