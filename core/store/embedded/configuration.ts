// The configuration row (one, id 1, with its revision) and the record of its changes.
import type { ConfigChange, StoredConfig } from '../records.ts';
import type { ConfigurationRecords } from '../roles.ts';
import type { Connection } from './connection.ts';

interface ConfigurationRow {
  revision: number;
  updated_at: number;
  doc: string;
  file_hash: string | null;
}

export class EmbeddedConfiguration implements ConfigurationRecords {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async read(): Promise<StoredConfig | undefined> {
    const row = this.#connection.get<ConfigurationRow>('SELECT revision, updated_at, doc, file_hash FROM configuration WHERE id = 1');
    if (!row) return undefined;
    const stored: StoredConfig = { properties: JSON.parse(row.doc) as Record<string, unknown>, revision: Number(row.revision), updatedAt: Number(row.updated_at) };
    return row.file_hash === null ? stored : { ...stored, fileHash: row.file_hash };
  }

  async write(properties: Record<string, unknown>, expectedRevision: number, now: number, fileHash?: string): Promise<boolean> {
    const doc = JSON.stringify(properties);
    const hash = fileHash ?? null;
    const changed =
      expectedRevision === 0
        ? this.#connection.run('INSERT OR IGNORE INTO configuration (id, revision, updated_at, doc, file_hash) VALUES (1, 1, ?, ?, ?)', now, doc, hash)
        : this.#connection.run(
            'UPDATE configuration SET revision = revision + 1, updated_at = ?, doc = ?, file_hash = coalesce(?, file_hash) WHERE id = 1 AND revision = ?',
            now,
            doc,
            hash,
            expectedRevision,
          );
    return changed === 1;
  }

  async appendChange(record: ConfigChange): Promise<void> {
    this.#connection.run('INSERT INTO config_changes (id, at, doc) VALUES (?, ?, ?)', record.id, record.at, JSON.stringify(record));
  }

  async listChanges(limit: number): Promise<ConfigChange[]> {
    return this.#connection.documents<ConfigChange>('SELECT doc FROM config_changes ORDER BY at DESC, id DESC LIMIT ?', limit);
  }
}
