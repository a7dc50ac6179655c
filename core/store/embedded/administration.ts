// Administration clients and initial access tokens.
import type { AdminClientRecord, InitialAccessTokenRecord } from '../records.ts';
import type { Administration } from '../roles.ts';
import type { Connection } from './connection.ts';

export class EmbeddedAdministration implements Administration {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    this.#connection = connection;
  }

  async findAdminClient(clientId: string): Promise<AdminClientRecord | undefined> {
    return this.#connection.document<AdminClientRecord>('SELECT doc FROM admin_clients WHERE client_id = ?', clientId);
  }

  async saveAdminClient(record: AdminClientRecord): Promise<void> {
    this.#connection.run('INSERT OR REPLACE INTO admin_clients (client_id, doc) VALUES (?, ?)', record.clientId, JSON.stringify(record));
  }

  async hasAdminClients(): Promise<boolean> {
    return this.#connection.get('SELECT 1 FROM admin_clients LIMIT 1') !== undefined;
  }

  async saveInitialAccessToken(record: InitialAccessTokenRecord): Promise<void> {
    this.#connection.run('INSERT INTO initial_access_tokens (id, token_hash, created_at, doc) VALUES (?, ?, ?, ?)', record.id, record.tokenHash, record.createdAt, JSON.stringify(record));
  }

  async findInitialAccessToken(tokenHash: string): Promise<InitialAccessTokenRecord | undefined> {
    return this.#connection.document<InitialAccessTokenRecord>('SELECT doc FROM initial_access_tokens WHERE token_hash = ?', tokenHash);
  }

  async listInitialAccessTokens(): Promise<InitialAccessTokenRecord[]> {
    return this.#connection.documents<InitialAccessTokenRecord>('SELECT doc FROM initial_access_tokens ORDER BY created_at DESC, id DESC');
  }

  async deleteInitialAccessToken(id: string): Promise<boolean> {
    return this.#connection.run('DELETE FROM initial_access_tokens WHERE id = ?', id) === 1;
  }
}
