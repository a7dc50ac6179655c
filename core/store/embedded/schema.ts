// The embedded store's SQLite schema, applied at every open: tables and indexes are created if
// missing; the triggers, one-time fills and migrate() bring databases made by earlier versions along.
import type { DatabaseSync } from 'node:sqlite';
/** A row's space-delimited host list as a JSON array (hosts are URL host names: no quotes, no backslashes). */
const HOSTS_JSON = (row: string) => `'["' || replace(trim(${row}.redirect_hosts), ' ', '","') || '"]'`;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS clients (
  client_id   TEXT PRIMARY KEY,
  revision    INTEGER NOT NULL,
  expires_at  INTEGER,
  software_id TEXT,
  organisation TEXT,
  redirect_hosts TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL DEFAULT 0,
  doc         TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS clients_organisation ON clients (organisation) WHERE organisation IS NOT NULL;
CREATE TABLE IF NOT EXISTS configuration (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  revision   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc        TEXT NOT NULL,
  file_hash  TEXT
) STRICT;
-- Kept decisionLogRetentionDays from \`at\`, judged at purge time.
CREATE TABLE IF NOT EXISTS decisions (
  id         TEXT PRIMARY KEY,
  at         INTEGER NOT NULL,
  client_id  TEXT,
  doc        TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS decisions_at ON decisions (at);
CREATE INDEX IF NOT EXISTS decisions_client ON decisions (client_id, at);
DROP INDEX IF EXISTS decisions_expires_at;
-- What each server process sharing the store last said of itself (the fleet view).
CREATE TABLE IF NOT EXISTS processes (
  id          TEXT PRIMARY KEY,
  reported_at INTEGER NOT NULL,
  doc         TEXT NOT NULL
) STRICT;
-- Which store this is; the data folder records it too (store.json), so a replaced or emptied file is noticed.
CREATE TABLE IF NOT EXISTS store_identity (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  store_id   TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS config_changes (
  id  TEXT PRIMARY KEY,
  at  INTEGER NOT NULL,
  doc TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS admin_clients (
  client_id TEXT PRIMARY KEY,
  doc       TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS initial_access_tokens (
  id         TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  doc        TEXT NOT NULL
) STRICT;
-- Places of a quota (client caps, registrations per initial access token): one row per holder.
CREATE TABLE IF NOT EXISTS quota_places (
  quota  TEXT NOT NULL,
  holder TEXT NOT NULL,
  at     INTEGER NOT NULL,
  PRIMARY KEY (quota, holder)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS clients_expires_at ON clients (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS clients_software_id ON clients (software_id) WHERE software_id IS NOT NULL;
-- One row per redirect host of a client, so lookups by host use an index: written with the client
-- (insert), kept by triggers on the rarer update and delete. The triggers find a client's rows
-- through the hosts its row lists, so the table needs no second index by client_id (each index is
-- one more random-order B-tree insert per registration).
CREATE TABLE IF NOT EXISTS client_redirect_hosts (
  host      TEXT NOT NULL,
  client_id TEXT NOT NULL,
  PRIMARY KEY (host, client_id)
) STRICT, WITHOUT ROWID;
DROP INDEX IF EXISTS client_redirect_hosts_client;
DROP TRIGGER IF EXISTS clients_hosts_insert;
DROP TRIGGER IF EXISTS clients_hosts_update;
DROP TRIGGER IF EXISTS clients_hosts_delete;
CREATE TRIGGER clients_hosts_update AFTER UPDATE OF redirect_hosts ON clients BEGIN
  DELETE FROM client_redirect_hosts WHERE client_id = OLD.client_id AND host IN (SELECT value FROM json_each(${HOSTS_JSON('OLD')}) WHERE OLD.redirect_hosts <> '');
  INSERT OR IGNORE INTO client_redirect_hosts (host, client_id) SELECT value, NEW.client_id FROM json_each(${HOSTS_JSON('NEW')}) WHERE NEW.redirect_hosts <> '';
END;
CREATE TRIGGER clients_hosts_delete AFTER DELETE ON clients BEGIN
  DELETE FROM client_redirect_hosts WHERE client_id = OLD.client_id AND host IN (SELECT value FROM json_each(${HOSTS_JSON('OLD')}) WHERE OLD.redirect_hosts <> '');
END;
-- Databases made before the host table: fill it once.
INSERT OR IGNORE INTO client_redirect_hosts (host, client_id)
  SELECT j.value, c.client_id FROM clients c, json_each(${HOSTS_JSON('c')}) j
  WHERE c.redirect_hosts <> '' AND NOT EXISTS (SELECT 1 FROM client_redirect_hosts);
`;

/** The schema this version writes, kept as the database's user_version; 0 is a database made before versions. */
export const SCHEMA_VERSION = 1;

/** Each step from one schema to the next, run once, in order, each in its own transaction, at start. */
const MIGRATIONS: ReadonlyArray<{ to: number; what: string; run(db: DatabaseSync): void }> = [
  {
    to: 1,
    what: "decision records kept by age (the per-record expiry goes); the configuration remembers the DCR_CONFIG file it applied",
    run(db) {
      const columnsOf = (table: string) => (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as Array<{ name: string }>).map((column) => column.name);
      if (columnsOf('decisions').includes('expires_at')) db.exec('ALTER TABLE decisions DROP COLUMN expires_at');
      if (!columnsOf('configuration').includes('file_hash')) db.exec('ALTER TABLE configuration ADD COLUMN file_hash TEXT');
    },
  },
];

/** The schema version of the open database. */
export const schemaVersion = (db: DatabaseSync): number => Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);

/** Refuses a database a newer Registrar wrote: this one would not know what it holds. */
export function refuseNewer(db: DatabaseSync, file: string): void {
  const version = schemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new TypeError(`the database ${file} has schema ${version}, written by a newer Registrar; this one knows schemas up to ${SCHEMA_VERSION}: run the newer version, or restore a backup made for this one`);
  }
}

/** Brings a database made by an earlier version to SCHEMA_VERSION; the steps taken, for the log. */
export function migrate(db: DatabaseSync): Array<{ to: number; what: string }> {
  const from = schemaVersion(db);
  const steps = MIGRATIONS.filter((step) => step.to > from);
  for (const step of steps) {
    db.exec('BEGIN IMMEDIATE');
    try {
      step.run(db);
      db.exec(`PRAGMA user_version = ${step.to}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return steps.map(({ to, what }) => ({ to, what }));
}
