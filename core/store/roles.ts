// The storage contract, by role: each consumer takes the role it uses (the registration flow its
// clients and quotas, the administration API its clients and tokens, the decision log its
// records), and every backend (embedded SQLite, MongoDB) implements every role. The contract
// tests run per role on both (test/store/contract.ts).
import type {
  AdminClientRecord,
  ClientFilter,
  ClientRecord,
  ConfigChange,
  DecisionFilter,
  DecisionRecord,
  InitialAccessTokenRecord,
  ProcessReport,
  StoredConfig,
} from './records.ts';

/** The registered clients. */
export interface ClientRecords {
  /** Adds a new client. Rejects if the client_id exists. */
  insert(record: ClientRecord): Promise<void>;
  /** The client, or undefined if unknown or expired at `now` (ms). */
  find(clientId: string, now: number): Promise<ClientRecord | undefined>;
  /** Writes `record` if the stored revision is still `expectedRevision`; false when another write won. */
  replace(record: ClientRecord, expectedRevision: number): Promise<boolean>;
  /** Removes the client; false if there was none. */
  remove(clientId: string): Promise<boolean>;
  /** How many unexpired clients match. */
  count(filter: ClientFilter, now: number): Promise<number>;
  /** Unexpired clients that match, at most `limit` after skipping `offset`, oldest first. */
  query(filter: ClientFilter, now: number, limit: number, offset?: number): Promise<ClientRecord[]>;
  /** Deletes clients expired at `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

/** The decision log: one record per registration request. */
export interface DecisionLog {
  /** Writes records in one batch. */
  append(records: DecisionRecord[]): Promise<void>;
  /** Newest first. */
  list(filter: DecisionFilter): Promise<DecisionRecord[]>;
  /** Deletes records written before `before` (ms): retention is judged when purging, by the setting then in force. */
  purge(before: number): Promise<number>;
}

/** The server configuration shared by every instance, and the record of its changes. */
export interface ConfigurationRecords {
  /** The stored server configuration, if any. */
  read(): Promise<StoredConfig | undefined>;
  /**
   * Stores the configuration if the stored revision is still `expectedRevision` (0: none yet).
   * `fileHash` records a DCR_CONFIG file applied by this write; without it the one recorded stays.
   */
  write(properties: Record<string, unknown>, expectedRevision: number, now: number, fileHash?: string): Promise<boolean>;
  /** Keeps one record of a configuration change. */
  appendChange(record: ConfigChange): Promise<void>;
  /** Configuration changes, newest first. */
  listChanges(limit: number): Promise<ConfigChange[]>;
}

/** The administration API's clients, and the initial access tokens administrators issue. */
export interface Administration {
  findAdminClient(clientId: string): Promise<AdminClientRecord | undefined>;
  /** Creates or replaces an administration client. */
  saveAdminClient(record: AdminClientRecord): Promise<void>;
  /** Whether any administration client exists. */
  hasAdminClients(): Promise<boolean>;
  saveInitialAccessToken(record: InitialAccessTokenRecord): Promise<void>;
  findInitialAccessToken(tokenHash: string): Promise<InitialAccessTokenRecord | undefined>;
  /** Newest first. */
  listInitialAccessTokens(): Promise<InitialAccessTokenRecord[]>;
  /** False when there was none. */
  deleteInitialAccessToken(id: string): Promise<boolean>;
}

/** Counted places (client caps, registrations per initial access token), atomic across every instance sharing the store. */
export interface QuotaPlaces {
  /** Takes one of the `limit` places of `quota` for `holder` (true), or finds them all taken (false). A holder that already has a place keeps it. */
  claim(quota: string, holder: string, limit: number, now: number): Promise<boolean>;
  release(quota: string, holder: string): Promise<void>;
  /** Who holds a place of `quota`, and since when (ms). */
  holders(quota: string): Promise<Array<{ holder: string; at: number }>>;
}

/** What every server process sharing the store last said of itself (core/fleet). */
export interface FleetRecords {
  /** Creates or replaces the process's report. */
  report(record: ProcessReport): Promise<void>;
  /** Every report, newest first. */
  list(): Promise<ProcessReport[]>;
  remove(id: string): Promise<void>;
  /** Deletes reports last made before `before` (ms). */
  purge(before: number): Promise<number>;
}

/** A backend: every role, and its own health. */
export interface Store {
  /** A name for logs and benchmarks. */
  readonly kind: string;
  /** Where it keeps its data, for the start-up line and the fleet view (never a credential). */
  readonly location: string;
  readonly clients: ClientRecords;
  readonly decisions: DecisionLog;
  readonly configuration: ConfigurationRecords;
  readonly administration: Administration;
  readonly quotas: QuotaPlaces;
  readonly fleet: FleetRecords;
  /** Resolves when the store can take a write; rejects with the reason otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
