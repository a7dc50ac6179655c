// The zero-setup store: Node's built-in SQLite in a file under DCR_DATA_DIR.
// WAL mode and a busy timeout let several processes share the file; every write is one
// statement or one transaction (inserts are group-committed), so a crash never leaves a client
// half-written, and nothing is acknowledged before it is committed.
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { prepareDataDir } from '../config/index.ts';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { TemporarilyUnavailable } from '../errors/index.ts';
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer.ts';
import { SCHEMA } from './embeddedSchema.ts';
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

export class EmbeddedStore implements ClientStore {
  readonly kind = 'embedded';
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #insertHost: StatementSync;
  readonly #find: StatementSync;
  readonly #replace: StatementSync;
  readonly #remove: StatementSync;
  readonly #purge: StatementSync;
  readonly #appendDecision: StatementSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #checkpointer: Checkpointer;
  /** Inserts waiting for the group commit of this turn of the event loop. */
  readonly #inserts: Array<{ values: SQLInputValue[]; hosts: string[]; resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(dataDir: string) {
    prepareDataDir(dataDir);
    this.file = join(dataDir, 'registrar.db');
    // Owner only, the database and its WAL and shared-memory files (SQLite gives those the database's mode).
    closeSync(openSync(this.file, 'a', 0o600));
    for (const file of [this.file, `${this.file}-wal`, `${this.file}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    this.#db = new DatabaseSync(this.file);
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES};`);
    this.#checkpointer = new Checkpointer(this.file);
    this.#db.exec(SCHEMA);
    this.#insertHost = this.#db.prepare('INSERT OR IGNORE INTO client_redirect_hosts (host, client_id) VALUES (?, ?)');
    this.#insert = this.#db.prepare(
      'INSERT INTO clients (client_id, revision, expires_at, software_id, organisation, redirect_hosts, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#find = this.#db.prepare('SELECT doc FROM clients WHERE client_id = ? AND (expires_at IS NULL OR expires_at > ?)');
    this.#replace = this.#db.prepare(
      'UPDATE clients SET revision = ?, expires_at = ?, software_id = ?, organisation = ?, redirect_hosts = ?, doc = ? WHERE client_id = ? AND revision = ?',
    );
    this.#remove = this.#db.prepare('DELETE FROM clients WHERE client_id = ?');
    this.#purge = this.#db.prepare('DELETE FROM clients WHERE expires_at IS NOT NULL AND expires_at <= ?');
    this.#appendDecision = this.#db.prepare('INSERT INTO decisions (id, at, client_id, expires_at, doc) VALUES (?, ?, ?, ?, ?)');
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
      guard(() => {
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
    group.forEach((item, index) => (failures.has(index) ? item.reject(guardError(failures.get(index))) : item.resolve()));
  }

  async find(clientId: string, now: number): Promise<ClientRecord | undefined> {
    const row = guard(() => this.#find.get(clientId, now)) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ClientRecord) : undefined;
  }

  async replace(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const { softwareId, organisation, redirectHosts } = indexedValues(record);
    const result = guard(() =>
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
    return Number(guard(() => this.#remove.run(clientId)).changes) === 1;
  }

  async count(filter: ClientFilter, now: number): Promise<number> {
    const { where, values } = whereOf(filter, now);
    const row = guard(() => this.#sql(`SELECT COUNT(*) AS n FROM clients WHERE ${where}`).get(...values)) as { n: number };
    return Number(row.n);
  }

  async query(filter: ClientFilter, now: number, limit: number, offset = 0): Promise<ClientRecord[]> {
    const { where, values } = whereOf(filter, now);
    const rows = guard(() =>
      this.#sql(`SELECT doc FROM clients WHERE ${where} ORDER BY created_at, client_id LIMIT ? OFFSET ?`).all(...values, limit, offset),
    ) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as ClientRecord);
  }

  async purgeExpired(now: number): Promise<number> {
    return Number(guard(() => this.#purge.run(now)).changes);
  }

  async readConfig(): Promise<StoredConfig | undefined> {
    const row = guard(() => this.#sql('SELECT revision, updated_at, doc FROM configuration WHERE id = 1').get()) as
      | { revision: number; updated_at: number; doc: string }
      | undefined;
    return row ? { properties: JSON.parse(row.doc) as Record<string, unknown>, revision: Number(row.revision), updatedAt: Number(row.updated_at) } : undefined;
  }

  async writeConfig(properties: Record<string, unknown>, expectedRevision: number, now: number): Promise<boolean> {
    const doc = JSON.stringify(properties);
    const result = guard(() =>
      expectedRevision === 0
        ? this.#sql('INSERT OR IGNORE INTO configuration (id, revision, updated_at, doc) VALUES (1, 1, ?, ?)').run(now, doc)
        : this.#sql('UPDATE configuration SET revision = revision + 1, updated_at = ?, doc = ? WHERE id = 1 AND revision = ?').run(now, doc, expectedRevision),
    );
    return Number(result.changes) === 1;
  }

  async appendDecisions(records: DecisionRecord[]): Promise<void> {
    guard(() => {
      this.#db.exec('BEGIN');
      try {
        for (const record of records) this.#appendDecision.run(record.id, record.at, record.clientId, record.expiresAt, JSON.stringify(record));
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
    const rows = guard(() => this.#sql(sql).all(...values, filter.limit)) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as DecisionRecord);
  }

  async purgeDecisions(now: number): Promise<number> {
    return Number(guard(() => this.#sql('DELETE FROM decisions WHERE expires_at <= ?').run(now)).changes);
  }

  async findAdminClient(clientId: string): Promise<AdminClientRecord | undefined> {
    const row = guard(() => this.#sql('SELECT doc FROM admin_clients WHERE client_id = ?').get(clientId)) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as AdminClientRecord) : undefined;
  }

  async saveAdminClient(record: AdminClientRecord): Promise<void> {
    guard(() => this.#sql('INSERT OR REPLACE INTO admin_clients (client_id, doc) VALUES (?, ?)').run(record.clientId, JSON.stringify(record)));
  }

  async appendConfigChange(record: ConfigChange): Promise<void> {
    guard(() => this.#sql('INSERT INTO config_changes (id, at, doc) VALUES (?, ?, ?)').run(record.id, record.at, JSON.stringify(record)));
  }

  async listConfigChanges(limit: number): Promise<ConfigChange[]> {
    const rows = guard(() => this.#sql('SELECT doc FROM config_changes ORDER BY at DESC, id DESC LIMIT ?').all(limit)) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as ConfigChange);
  }

  async hasAdminClients(): Promise<boolean> {
    return guard(() => this.#sql('SELECT 1 FROM admin_clients LIMIT 1').get()) !== undefined;
  }

  async saveInitialAccessToken(record: InitialAccessTokenRecord): Promise<void> {
    guard(() => this.#sql('INSERT INTO initial_access_tokens (id, token_hash, created_at, doc) VALUES (?, ?, ?, ?)').run(record.id, record.tokenHash, record.createdAt, JSON.stringify(record)));
  }

  async findInitialAccessToken(tokenHash: string): Promise<InitialAccessTokenRecord | undefined> {
    const row = guard(() => this.#sql('SELECT doc FROM initial_access_tokens WHERE token_hash = ?').get(tokenHash)) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as InitialAccessTokenRecord) : undefined;
  }

  async listInitialAccessTokens(): Promise<InitialAccessTokenRecord[]> {
    const rows = guard(() => this.#sql('SELECT doc FROM initial_access_tokens ORDER BY created_at DESC, id DESC').all()) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as InitialAccessTokenRecord);
  }

  async deleteInitialAccessToken(id: string): Promise<boolean> {
    return Number(guard(() => this.#sql('DELETE FROM initial_access_tokens WHERE id = ?').run(id)).changes) === 1;
  }

  async claimPlace(quota: string, holder: string, limit: number, now: number): Promise<boolean> {
    // One statement: SQLite runs it under the database's write lock, so two claims never both see a free place.
    const taken = guard(() =>
      this.#db
        .prepare('INSERT OR IGNORE INTO quota_places (quota, holder, at) SELECT ?, ?, ? WHERE (SELECT COUNT(*) FROM quota_places WHERE quota = ?) < ?')
        .run(quota, holder, now, quota, limit),
    );
    if (Number(taken.changes) === 1) return true;
    return guard(() => this.#sql('SELECT 1 FROM quota_places WHERE quota = ? AND holder = ?').get(quota, holder)) !== undefined;
  }

  async releasePlace(quota: string, holder: string): Promise<void> {
    guard(() => this.#sql('DELETE FROM quota_places WHERE quota = ? AND holder = ?').run(quota, holder));
  }

  async placeHolders(quota: string): Promise<Array<{ holder: string; at: number }>> {
    const rows = guard(() => this.#sql('SELECT holder, at FROM quota_places WHERE quota = ?').all(quota)) as Array<{ holder: string; at: number }>;
    return rows.map((row) => ({ holder: row.holder, at: Number(row.at) }));
  }

  async ping(): Promise<void> {
    guard(() => this.#sql('SELECT 1').get());
  }

  async close(): Promise<void> {
    await this.#checkpointer.close();
    if (this.#db.isOpen) this.#db.close();
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

/** A locked or unreadable database is a retryable outage, not a client error. */
function guard<T>(operation: () => T): T {
  try {
    return operation();
  } catch (err) {
    throw guardError(err);
  }
}

function guardError(err: unknown): unknown {
  const code = (err as { errcode?: number; code?: string }).errcode;
  // SQLITE_CONSTRAINT (19) is a programming error (duplicate client_id), not an outage.
  if (code === 19 || err instanceof TemporarilyUnavailable) return err;
  return new TemporarilyUnavailable('the client store is unavailable, try again', 2, err);
}
