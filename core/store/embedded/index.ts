// The zero-setup store: Node's built-in SQLite in a file under DCR_DATA_DIR.
// WAL mode and a busy timeout let several processes share the file; every write is one
// statement or one transaction (inserts are group-committed), so a crash never leaves a client
// half-written, and nothing is acknowledged before it is committed. Its files are watched
// (files.ts): a store that lost them refuses writes, and a start that finds it lost data refuses
// to serve it. One connection (connection.ts) serves every role.
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { prepareDataDir } from '../../config/index.ts';
import type { Store } from '../roles.ts';
import { EmbeddedAdministration } from './administration.ts';
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer.ts';
import { EmbeddedClients } from './clients.ts';
import { EmbeddedConfiguration } from './configuration.ts';
import { Connection } from './connection.ts';
import { EmbeddedDecisions } from './decisions.ts';
import { EmbeddedFleet } from './fleet.ts';
import { admit, clearUnclean, leaveAsFound, recordIdentity, StoreFiles, survey, type IdentityRow, type StoreFilesOptions } from './files.ts';
import { EmbeddedQuotas } from './quotas.ts';
import { migrate, refuseNewer, SCHEMA } from './schema.ts';

export { whereOf } from './clients.ts';

export interface EmbeddedStoreOptions extends StoreFilesOptions {}

export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly file: string;
  readonly location: string;
  /** The identity the database and its data folder record (store.json). */
  readonly storeId: string;
  readonly clients: EmbeddedClients;
  readonly decisions: EmbeddedDecisions;
  readonly configuration: EmbeddedConfiguration;
  readonly administration: EmbeddedAdministration;
  readonly quotas: EmbeddedQuotas;
  readonly fleet: EmbeddedFleet;
  readonly #db: DatabaseSync;
  readonly #files: StoreFiles;
  readonly #checkpointer: Checkpointer;
  readonly #connection: Connection;

  constructor(dataDir: string, options: EmbeddedStoreOptions = {}) {
    prepareDataDir(dataDir);
    this.file = join(dataDir, 'registrar.db');
    this.location = this.file;
    const seen = survey(dataDir, this.file);
    // Owner only, the database and its WAL and shared-memory files (SQLite gives those the database's mode).
    closeSync(openSync(this.file, 'a', 0o600));
    for (const file of [this.file, `${this.file}-wal`, `${this.file}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    this.#db = new DatabaseSync(this.file);
    try {
      this.#db.exec('PRAGMA busy_timeout = 5000');
      // Judged before anything is written: a refused start leaves the files as it found them.
      const identity = admit(seen, identityRow(this.#db), dataDir, this.file, options);
      refuseNewer(this.#db, this.file);
      // Space freed by purges goes back to the file system (Connection.reclaim); only a database without tables can take the mode directly.
      const tables = this.#db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number };
      if (Number(tables.n) === 0) this.#db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES};`);
      this.#db.exec(SCHEMA);
      const migrated = migrate(this.#db);
      if (migrated.length > 0 && seen.databaseExisted) options.logger?.info({ file: this.file, steps: migrated }, 'the embedded store was brought to the current schema');
      if (identity.isNew) {
        this.#db.prepare('INSERT OR REPLACE INTO store_identity (id, store_id, created_at) VALUES (1, ?, ?)').run(identity.storeId, identity.createdAt);
        // In the database file itself before the data folder names it: a log lost later cannot take the identity with it.
        this.#db.exec('PRAGMA wal_checkpoint(FULL)');
      }
      recordIdentity(dataDir, identity);
      if (seen.logExisted) clearUnclean(dataDir, seen);
      this.storeId = identity.storeId;
      convertToIncrementalVacuum(this.#db, this.file, options.logger);
      this.#files = new StoreFiles(dataDir, this.file, options);
    } catch (err) {
      this.#db.close();
      // A refused start (a loss, a newer schema: TypeErrors, said plainly) leaves the files as it found them.
      if (err instanceof TypeError) leaveAsFound(this.file, seen);
      throw err;
    }
    this.#checkpointer = new Checkpointer(this.file);
    this.#connection = new Connection(this.#db, this.#files, this.#checkpointer, options.logger);
    this.clients = new EmbeddedClients(this.#connection);
    this.decisions = new EmbeddedDecisions(this.#connection);
    this.configuration = new EmbeddedConfiguration(this.#connection);
    this.administration = new EmbeddedAdministration(this.#connection);
    this.quotas = new EmbeddedQuotas(this.#connection);
    this.fleet = new EmbeddedFleet(this.#connection);
  }

  async ping(): Promise<void> {
    const problem = this.#files.problem;
    if (problem) throw new Error(problem);
    this.#connection.get('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#connection.settle();
    await this.#checkpointer.close();
    if (!this.#db.isOpen) return;
    try {
      this.#db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch {
      // Busy: the log keeps what is not yet in the file; the marker stays moot either way.
    }
    this.#files.close();
    this.#db.close();
    this.#files.tidy();
  }
}

function identityRow(db: DatabaseSync): IdentityRow {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'store_identity'").get()) return undefined;
  const row = db.prepare('SELECT store_id, created_at FROM store_identity WHERE id = 1').get() as { store_id: string; created_at: number } | undefined;
  return row ? { storeId: row.store_id, createdAt: Number(row.created_at) } : undefined;
}

/** A database made before incremental vacuum: rewritten once, so purged space can be given back from now on. */
function convertToIncrementalVacuum(db: DatabaseSync, file: string, logger: Logger | undefined): void {
  const mode = db.prepare('PRAGMA auto_vacuum').get() as { auto_vacuum: number };
  if (Number(mode.auto_vacuum) === 2) return;
  const started = Date.now();
  try {
    db.exec('PRAGMA auto_vacuum = INCREMENTAL; VACUUM');
    logger?.info({ file, ms: Date.now() - started }, 'the embedded store was rewritten once so that purged space is given back (incremental vacuum)');
  } catch (err) {
    // Busy (another process reading) or short of room: the next start tries again.
    logger?.warn({ file, err }, 'the embedded store could not be rewritten for incremental vacuum; purged space stays in the file for now');
  }
}
