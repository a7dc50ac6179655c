// The clients table. Inserts that arrive in one turn of the event loop are committed together
// (group commit), each answered only once committed; the redirect hosts of a client go in a table
// of their own, so lookups by host use an index.
import type { SQLInputValue } from 'node:sqlite';
import { indexedValues, type ClientFilter, type ClientRecord } from '../records.ts';
import type { ClientRecords } from '../roles.ts';
import { conditions, type Connection } from './connection.ts';

const INSERT = 'INSERT INTO clients (client_id, revision, expires_at, software_id, organisation, redirect_hosts, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_HOST = 'INSERT OR IGNORE INTO client_redirect_hosts (host, client_id) VALUES (?, ?)';
const FIND = 'SELECT doc FROM clients WHERE client_id = ? AND (expires_at IS NULL OR expires_at > ?)';
const REPLACE = 'UPDATE clients SET revision = ?, expires_at = ?, software_id = ?, organisation = ?, redirect_hosts = ?, doc = ? WHERE client_id = ? AND revision = ?';

interface PendingInsert {
  values: SQLInputValue[];
  hosts: string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class EmbeddedClients implements ClientRecords {
  readonly #connection: Connection;
  /** Inserts waiting for the group commit of this turn of the event loop. */
  readonly #inserts: PendingInsert[] = [];

  constructor(connection: Connection) {
    this.#connection = connection;
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
    const { db } = this.#connection;
    try {
      this.#connection.write(() => {
        // One transaction for the group, and for a client with redirect hosts (its host rows go with it).
        const transaction = group.length > 1 || group[0]!.hosts.length > 0;
        if (transaction) db.exec('BEGIN IMMEDIATE');
        try {
          group.forEach((item, index) => {
            try {
              this.#connection.statement(INSERT).run(...item.values);
            } catch (err) {
              if (group.length === 1 || !db.isTransaction) throw err;
              failures.set(index, err);
              return;
            }
            const clientId = item.values[0] as string;
            for (const host of item.hosts) this.#connection.statement(INSERT_HOST).run(host, clientId);
          });
          if (transaction) db.exec('COMMIT');
        } catch (err) {
          if (db.isTransaction) db.exec('ROLLBACK');
          throw err;
        }
      });
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    group.forEach((item, index) => (failures.has(index) ? item.reject(this.#connection.failure(failures.get(index))) : item.resolve()));
  }

  async find(clientId: string, now: number): Promise<ClientRecord | undefined> {
    return this.#connection.document<ClientRecord>(FIND, clientId, now);
  }

  async replace(record: ClientRecord, expectedRevision: number): Promise<boolean> {
    const { softwareId, organisation, redirectHosts } = indexedValues(record);
    const hosts = hostList(listableHosts(redirectHosts));
    return this.#connection.run(REPLACE, record.revision, record.expiresAt, softwareId, organisation, hosts, JSON.stringify(record), record.clientId, expectedRevision) === 1;
  }

  async remove(clientId: string): Promise<boolean> {
    return this.#connection.run('DELETE FROM clients WHERE client_id = ?', clientId) === 1;
  }

  async count(filter: ClientFilter, now: number): Promise<number> {
    const { where, values } = whereOf(filter, now);
    return Number(this.#connection.get<{ n: number }>(`SELECT COUNT(*) AS n FROM clients WHERE ${where}`, ...values)?.n ?? 0);
  }

  async query(filter: ClientFilter, now: number, limit: number, offset = 0): Promise<ClientRecord[]> {
    const { where, values } = whereOf(filter, now);
    return this.#connection.documents<ClientRecord>(`SELECT doc FROM clients WHERE ${where} ORDER BY created_at, client_id LIMIT ? OFFSET ?`, ...values, limit, offset);
  }

  purgeExpired(now: number): Promise<number> {
    return this.#connection.purge('DELETE FROM clients WHERE rowid IN (SELECT rowid FROM clients WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)', now);
  }
}

/** Hosts that can be kept space-delimited (the update trigger reads the list as JSON); any other is left out. */
const listableHosts = (hosts: string[]): string[] => hosts.filter((host) => /^[^\s"\\]+$/.test(host));

const hostList = (hosts: string[]): string => (hosts.length ? ` ${hosts.join(' ')} ` : '');

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
