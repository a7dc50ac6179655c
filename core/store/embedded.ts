// The zero-setup store: Node's built-in SQLite in a file under DCR_DATA_DIR.
// WAL mode and a busy timeout let several processes share the file; every write is one
// statement or one transaction (inserts are group-committed), so a crash never leaves a client
// half-written, and nothing is acknowledged before it is committed. Its files are watched
// (embeddedFiles.ts): a store that lost them refuses writes, and a start that finds it lost data
// refuses to serve it.
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { prepareDataDir } from '../config/index.ts';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { TemporarilyUnavailable } from '../errors/index.ts';
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer.ts';
import { admit, clearUnclean, leaveAsFound, recordIdentity, StoreFiles, StoreLoss, survey, type IdentityRow, type StoreFilesOptions } from './embeddedFiles.ts';
import { SCHEMA, upgrade } from './embeddedSchema.ts';
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

/** Rows one purge statement deletes: the write lock is held for one batch at a time. */
const PURGE_BATCH = 2000;
/** Free pages one incremental vacuum step gives back to the file system. */
const RECLAIM_PAGES = 1024;

export interface EmbeddedStoreOptions extends StoreFilesOptions {}

export class EmbeddedStore implements ClientStore {
  readonly kind = 'embedded';
  readonly file: string;
  /** The identity the database and its data folder record (store.json). */
  readonly storeId: string;
  readonly #db: DatabaseSync;
  readonly #files: StoreFiles;
  readonly #logger: Logger | undefined;
  readonly #insert: StatementSync;
  readonly #insertHost: StatementSync;
  readonly #find: StatementSync;
  readonly #replace: StatementSync;
  readonly #remove: StatementSync;
  readonly #appendDecision: StatementSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #checkpointer: Checkpointer;
  #reclaiming: Promise<void> | undefined;
  #closing = false;
  /** Inserts waiting for the group commit of this turn of the event loop. */
  readonly #inserts: Array<{ values: SQLInputValue[]; hosts: string[]; resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(dataDir: string, options: EmbeddedStoreOptions = {}) {
    prepareDataDir(dataDir);
    this.file = join(dataDir, 'registrar.db');
    this.#logger = options.logger;
    const seen = survey(dataDir, this.file);
    // Owner only, the database and its WAL and shared-memory files (SQLite gives those the database's mode).
    closeSync(openSync(this.file, 'a', 0o600));
    for (const file of [this.file, `${this.file}-wal`, `${this.file}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    this.#db = new DatabaseSync(this.file);
    try {
      this.#db.exec('PRAGMA busy_timeout = 5000');
      // Judged before anything is written: a refused start leaves the files as it found them.
      const identity = admit(seen, this.#identityRow(), dataDir, this.file, options);
      // Space freed by purges goes back to the file system (reclaim()); only a database without tables can take the mode directly.
      const fresh = this.#db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number };
      if (Number(fresh.n) === 0) this.#db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES};`);
      this.#db.exec(SCHEMA);
      upgrade(this.#db);
      if (identity.isNew) {
        this.#db.prepare('INSERT OR REPLACE INTO store_identity (id, store_id, created_at) VALUES (1, ?, ?)').run(identity.storeId, identity.createdAt);
        // In the database file itself before the data folder names it: a log lost later cannot take the identity with it.
        this.#db.exec('PRAGMA wal_checkpoint(FULL)');
      }
      recordIdentity(dataDir, identity);
      if (seen.logExisted) clearUnclean(dataDir, seen);
      this.storeId = identity.storeId;
      this.#convertToIncrementalVacuum();
      this.#files = new StoreFiles(dataDir, this.file, options);
    } catch (err) {
      this.#db.close();
      if (err instanceof StoreLoss) leaveAsFound(this.file, seen);
      throw err;
    }
    this.#checkpointer = new Checkpointer(this.file);
    this.#insertHost = this.#db.prepare('INSERT OR IGNORE INTO client_redirect_hosts (host, client_id) VALUES (?, ?)');
    this.#insert = this.#db.prepare(
      'INSERT INTO clients (client_id, revision, expires_at, software_id, organisation, redirect_hosts, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#find = this.#db.prepare('SELECT doc FROM clients WHERE client_id = ? AND (expires_at IS NULL OR expires_at > ?)');
    this.#replace = this.#db.prepare(
      'UPDATE clients SET revision = ?, expires_at = ?, software_id = ?, organisation = ?, redirect_hosts = ?, doc = ? WHERE client_id = ? AND revision = ?',
    );
    this.#remove = this.#db.prepare('DELETE FROM clients WHERE client_id = ?');
    this.#appendDecision = this.#db.prepare('INSERT INTO decisions (id, at, client_id, doc) VALUES (?, ?, ?, ?)');
  }

  #identityRow(): IdentityRow {
    if (!this.#db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'store_identity'").get()) return undefined;
    const row = this.#db.prepare('SELECT store_id, created_at FROM store_identity WHERE id = 1').get() as { store_id: string; created_at: number } | undefined;
    return row ? { storeId: row.store_id, createdAt: Number(row.created_at) } : undefined;
  }

  /** A database made before incremental vacuum: rewritten once, so purged space can be given back from now on. */
  #convertToIncrementalVacuum(): void {
    const mode = this.#db.prepare('PRAGMA auto_vacuum').get() as { auto_vacuum: number };
    if (Number(mode.auto_vacuum) === 2) return;
    const started = Date.now();
    try {
      this.#db.exec('PRAGMA auto_vacuum = INCREMENTAL; VACUUM');
      this.#logger?.info({ file: this.file, ms: Date.now() - started }, 'the embedded store was rewritten once so that purged space is given back (incremental vacuum)');
    } catch (err) {
      // Busy (another process reading) or short of room: the next start tries again.
      this.#logger?.warn({ file: this.file, err }, 'the embedded store could not be rewritten for incremental vacuum; purged space stays in the file for now');
    }
  }

  /** Statements by their SQL, prepared once: the dynamic ones (filters) come from a small set of texts. */
  #sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) this.#statements.set(text, (statement = this.#db.prepare(text)));
    return statement;
  }

  insert(record: ClientRecord): Promise<void> {
    const { softwareId, organisation, redirectHosts } = indexedValues(record);
    const hosts = listableHosts(redirectHosts);
    const values = [record.clientId, record.revision, record.expiresAt, softwareId, organisation, hostList(hosts), record.createdAt, JSON.stringify(record)];
    return new Promise((resolve, reject) => {
      this.#inserts.push({ values, hosts, resolve, reject });
      if (this.#inserts.length === 1) setImmediate(() => this.#commitInserts());
    });
  }

  /**
   * Group commit: the inserts that arrived in one turn of the event loop go in one transaction,
   * each answered only once it is committed. A failing insert (a duplicate id) fails alone; a
   * failure that ends the transaction fails the whole group, so nothing is reported stored
   * that was not.
   */
  #commitInserts(): void {
    const group = this.#inserts.splice(0);
    const failures = new Map<number, unknown>();
    try {
      this.#write(() => {
        // One transaction for the group, and for a client with redirect hosts (its host rows go with it).
        const transaction = group.length > 1 || group[0]!.hosts.length > 0;
        if (transaction) this.#db.exec('BEGIN IMMEDIATE');
        try {
          group.forEach((item, index) => {
            try {
              this.#insert.run(...item.values);
            } catch (err) {
              if (group.length === 1 || !this.#db.isTransaction) throw err;
              failures.set(index, err);
              return;
            }
            const clientId = item.values[0] as string;
            for (const host of item.hosts) this.#insertHost.run(host, clientId);
          });
          if (transaction) this.#db.exec('COMMIT');
        } catch (err) {
          if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
          throw err;
        }
      });
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    this.#checkpointer.wrote();
    group.forEach((item, index) => (failures.has(index) ? item.reject(this.#guardError(failures.get(index))) : item.resolve()));
  }

  async find(clientId: string, now: number): Promise<ClientRecord | undefined> {
    const row = this.#guard(() => this.#find.get(clientId, now)) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ClientRecord) : undefined;
  }

  async replace(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const { softwareId, organisation, redirectHosts } = indexedValues(record);
    const result = this.#write(() =>
      this.#replace.run(
        record.revision,
        record.expiresAt,
        softwareId,
        organisation,
        hostList(listableHosts(redirectHosts)),
        JSON.stringify(record),
        record.clientId,
        expectedRevision,
      ),
    );
    this.#checkpointer.wrote();
    return Number(result.changes) === 1;
  }

  async remove(clientId: string): Promise<boolean> {
    this.#checkpointer.wrote();
    return Number(this.#write(() => this.#remove.run(clientId)).changes) === 1;
  }

  async count(filter: ClientFilter, now: number): Promise<number> {
    const { where, values } = whereOf(filter, now);
    const row = this.#guard(() => this.#sql(`SELECT COUNT(*) AS n FROM clients WHERE ${where}`).get(...values)) as { n: number };
    return Number(row.n);
  }

  async query(filter: ClientFilter, now: number, limit: number, offset = 0): Promise<ClientRecord[]> {
    const { where, values } = whereOf(filter, now);
    const rows = this.#guard(() =>
      this.#sql(`SELECT doc FROM clients WHERE ${where} ORDER BY created_at, client_id LIMIT ? OFFSET ?`).all(...values, limit, offset),
    ) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as ClientRecord);
  }

  purgeExpired(now: number): Promise<number> {
    return this.#purge('DELETE FROM clients WHERE rowid IN (SELECT rowid FROM clients WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)', now);
  }

  async readConfig(): Promise<StoredConfig | undefined> {
    const row = this.#guard(() => this.#sql('SELECT revision, updated_at, doc FROM configuration WHERE id = 1').get()) as
      | { revision: number; updated_at: number; doc: string }
      | undefined;
    return row ? { properties: JSON.parse(row.doc) as Record<string, unknown>, revision: Number(row.revision), updatedAt: Number(row.updated_at) } : undefined;
  }

  async writeConfig(properties: Record<string, unknown>, expectedRevision: number, now: number): Promise<boolean> {
    const doc = JSON.stringify(properties);
    const result = this.#write(() =>
      expectedRevision === 0
        ? this.#sql('INSERT OR IGNORE INTO configuration (id, revision, updated_at, doc) VALUES (1, 1, ?, ?)').run(now, doc)
        : this.#sql('UPDATE configuration SET revision = revision + 1, updated_at = ?, doc = ? WHERE id = 1 AND revision = ?').run(now, doc, expectedRevision),
    );
    return Number(result.changes) === 1;
  }

  async appendDecisions(records: DecisionRecord[]): Promise<void> {
    this.#write(() => {
      this.#db.exec('BEGIN');
      try {
        for (const record of records) this.#appendDecision.run(record.id, record.at, record.clientId, JSON.stringify(record));
        this.#db.exec('COMMIT');
        this.#checkpointer.wrote();
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async listDecisions(filter: DecisionFilter): Promise<DecisionRecord[]> {
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
    const rows = this.#guard(() => this.#sql(sql).all(...values, filter.limit)) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as DecisionRecord);
  }

  purgeDecisions(before: number): Promise<number> {
    return this.#purge('DELETE FROM decisions WHERE rowid IN (SELECT rowid FROM decisions WHERE at < ? LIMIT ?)', before);
  }

  /** Deletes in batches (each its own short write), then gives the freed pages back to the file system. */
  async #purge(sql: string, bound: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const changes = Number(this.#write(() => this.#sql(sql).run(bound, PURGE_BATCH)).changes);
      deleted += changes;
      if (changes < PURGE_BATCH || this.#closing) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) {
      this.#checkpointer.wrote();
      await this.reclaim();
    }
    return deleted;
  }

  /**
   * Gives free pages back to the file system, a bounded step at a time (incremental vacuum), so
   * a purge of many records shrinks the file without holding the write lock for long.
   */
  reclaim(): Promise<void> {
    return (this.#reclaiming ??= this.#reclaimSteps().finally(() => (this.#reclaiming = undefined)));
  }

  async #reclaimSteps(): Promise<void> {
    try {
      while (!this.#closing && !this.#files.problem) {
        const { freelist_count: free } = this.#guard(() => this.#sql('PRAGMA freelist_count').get()) as { freelist_count: number };
        if (Number(free) === 0) return;
        this.#write(() => this.#db.exec(`PRAGMA incremental_vacuum(${RECLAIM_PAGES})`));
        this.#checkpointer.wrote();
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      this.#logger?.warn({ err }, 'giving purged space back to the file system failed; the next purge tries again');
    }
  }

  async findAdminClient(clientId: string): Promise<AdminClientRecord | undefined> {
    const row = this.#guard(() => this.#sql('SELECT doc FROM admin_clients WHERE client_id = ?').get(clientId)) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as AdminClientRecord) : undefined;
  }

  async saveAdminClient(record: AdminClientRecord): Promise<void> {
    this.#write(() => this.#sql('INSERT OR REPLACE INTO admin_clients (client_id, doc) VALUES (?, ?)').run(record.clientId, JSON.stringify(record)));
  }

  async appendConfigChange(record: ConfigChange): Promise<void> {
    this.#write(() => this.#sql('INSERT INTO config_changes (id, at, doc) VALUES (?, ?, ?)').run(record.id, record.at, JSON.stringify(record)));
  }

  async listConfigChanges(limit: number): Promise<ConfigChange[]> {
    const rows = this.#guard(() => this.#sql('SELECT doc FROM config_changes ORDER BY at DESC, id DESC LIMIT ?').all(limit)) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as ConfigChange);
  }

  async hasAdminClients(): Promise<boolean> {
    return this.#guard(() => this.#sql('SELECT 1 FROM admin_clients LIMIT 1').get()) !== undefined;
  }

  async saveInitialAccessToken(record: InitialAccessTokenRecord): Promise<void> {
    this.#write(() => this.#sql('INSERT INTO initial_access_tokens (id, token_hash, created_at, doc) VALUES (?, ?, ?, ?)').run(record.id, record.tokenHash, record.createdAt, JSON.stringify(record)));
  }

  async findInitialAccessToken(tokenHash: string): Promise<InitialAccessTokenRecord | undefined> {
    const row = this.#guard(() => this.#sql('SELECT doc FROM initial_access_tokens WHERE token_hash = ?').get(tokenHash)) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as InitialAccessTokenRecord) : undefined;
  }

  async listInitialAccessTokens(): Promise<InitialAccessTokenRecord[]> {
    const rows = this.#guard(() => this.#sql('SELECT doc FROM initial_access_tokens ORDER BY created_at DESC, id DESC').all()) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as InitialAccessTokenRecord);
  }

  async deleteInitialAccessToken(id: string): Promise<boolean> {
    return Number(this.#write(() => this.#sql('DELETE FROM initial_access_tokens WHERE id = ?').run(id)).changes) === 1;
  }

  async claimPlace(quota: string, holder: string, limit: number, now: number): Promise<boolean> {
    // One statement: SQLite runs it under the database's write lock, so two claims never both see a free place.
    const taken = this.#write(() =>
      this.#db
        .prepare('INSERT OR IGNORE INTO quota_places (quota, holder, at) SELECT ?, ?, ? WHERE (SELECT COUNT(*) FROM quota_places WHERE quota = ?) < ?')
        .run(quota, holder, now, quota, limit),
    );
    if (Number(taken.changes) === 1) return true;
    return this.#guard(() => this.#sql('SELECT 1 FROM quota_places WHERE quota = ? AND holder = ?').get(quota, holder)) !== undefined;
  }

  async releasePlace(quota: string, holder: string): Promise<void> {
    this.#write(() => this.#sql('DELETE FROM quota_places WHERE quota = ? AND holder = ?').run(quota, holder));
  }

  async placeHolders(quota: string): Promise<Array<{ holder: string; at: number }>> {
    const rows = this.#guard(() => this.#sql('SELECT holder, at FROM quota_places WHERE quota = ?').all(quota)) as Array<{ holder: string; at: number }>;
    return rows.map((row) => ({ holder: row.holder, at: Number(row.at) }));
  }

  async ping(): Promise<void> {
    const problem = this.#files.problem;
    if (problem) throw new Error(problem);
    this.#guard(() => this.#sql('SELECT 1').get());
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#reclaiming;
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

  /** A locked or unreadable database is a retryable outage, not a client error. */
  #guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (err) {
      throw this.#guardError(err);
    }
  }

  /** A write: refused at once while the files are lost or the disk has no room. */
  #write<T>(operation: () => T): T {
    if (this.#files.problem) throw unavailable();
    return this.#guard(operation);
  }

  #guardError(err: unknown): unknown {
    const code = (err as { errcode?: number }).errcode;
    // SQLITE_CONSTRAINT is a programming error (duplicate client_id), not an outage.
    if (code === SQLITE_CONSTRAINT || err instanceof TemporarilyUnavailable) return err;
    if (code === SQLITE_FULL) this.#files.noteFull();
    return unavailable(err);
  }
}

/** Hosts that can be kept space-delimited (the update trigger reads the list as JSON); any other is left out. */
const listableHosts = (hosts: string[]): string[] => hosts.filter((host) => /^[^\s"\\]+$/.test(host));

const hostList = (hosts: string[]): string => (hosts.length ? ` ${hosts.join(' ')} ` : '');

/** Conditions to join with AND, with the values of their placeholders in order. */
function conditions() {
  const clauses: string[] = [];
  const values: Array<string | number> = [];
  const where = (clause: string, ...given: Array<string | number>): void => {
    clauses.push(clause);
    values.push(...given);
  };
  return { clauses, values, where };
}

export function whereOf(filter: ClientFilter, now: number): { where: string; values: Array<string | number> } {
  const { clauses, values, where } = conditions();
  where('(expires_at IS NULL OR expires_at > ?)', now);
  if (filter.softwareId !== undefined) where('software_id = ?', filter.softwareId);
  if (filter.organisation !== undefined) where('organisation = ?', filter.organisation);
  if (filter.redirectHost !== undefined) where('client_id IN (SELECT client_id FROM client_redirect_hosts WHERE host = ?)', filter.redirectHost);
  if (filter.name !== undefined) where("instr(lower(coalesce(json_extract(doc, '$.metadata.client_name'), '')), lower(?)) > 0", filter.name);
  if (filter.status !== undefined) where("coalesce(json_extract(doc, '$.metadata.client_status'), 'active') = ?", filter.status);
  if (filter.usedBefore !== undefined) where("coalesce(json_extract(doc, '$.lastUsedAt'), created_at) < ?", filter.usedBefore);
  if (filter.initialAccessTokenId !== undefined) where("json_extract(doc, '$.initialAccessTokenId') = ?", filter.initialAccessTokenId);
  return { where: clauses.join(' AND '), values };
}

/** SQLite's result codes read here. */
const SQLITE_FULL = 13;
const SQLITE_CONSTRAINT = 19;

const unavailable = (cause?: unknown) => new TemporarilyUnavailable('the client store is unavailable, try again', 2, cause);
