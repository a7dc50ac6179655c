// The storage contract every client store implements (embedded SQLite, MongoDB).
import type { ClientMetadata } from '../metadata/index.ts';

export interface ClientRecord {
  clientId: string;
  /** Validated client metadata in wire form (snake_case, language-tagged and custom members included). */
  metadata: ClientMetadata;
  /** client_secret sealed with core/secrets SecretBox, or null for clients without a secret. */
  secret: string | null;
  /** SHA-256 of the registration access token; the token itself is never stored. */
  registrationAccessTokenHash: string;
  /** Seconds since the epoch (RFC 7591 client_id_issued_at). */
  clientIdIssuedAt: number;
  /** Seconds since the epoch, 0 for never (RFC 7591 client_secret_expires_at). */
  clientSecretExpiresAt: number;
  /** Milliseconds since the epoch when the client is gone, or null for never. */
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** Incremented on every write; updates name the revision they read (optimistic concurrency). */
  revision: number;
  /** Disabled by an administrator: the registration access token no longer works. */
  disabled?: boolean;
  /** The initial access token the registration presented (its id). */
  initialAccessTokenId?: string;
  /** The issuer of the trusted software statement the registration carried: it vouches for the software_id. */
  statementIssuer?: string;
  /** When the client was last used (ms), recorded at most once an hour; inactivity expiry counts from it. */
  lastUsedAt?: number;
  /** A client from a client ID metadata document (its client_id is the URL): when it was fetched, when to fetch again, when it is stale for good (ms). */
  metadataDocument?: { fetchedAt: number; refreshAt: number; hardExpiresAt: number };
  /** What the address re-check found: a host of a URI servers dereference that resolved to a private address, when (ms). */
  addressFinding?: { at: number; member: string; host: string } | undefined;
}

/** Read-only lookups offered to scripts (plugins/clients). All given members must match. */
export interface ClientFilter {
  softwareId?: string;
  /** The client's org_id (open banking organisation), as stored in its metadata. */
  organisation?: string;
  /** A host (host[:port]) appearing in the client's redirect_uris. */
  redirectHost?: string;
  /** Case-insensitive substring of the client_name. */
  name?: string;
  /** Only clients in this approval status (metadata `client_status`; `active` includes clients that never waited). */
  status?: 'pending' | 'active';
  /** Only clients registered with this initial access token. */
  initialAccessTokenId?: string;
  /** Only clients last used (or, never used, created) before this time (ms). */
  usedBefore?: number;
}

/** An initial access token (RFC 7591 §3): the token itself is never stored, only its hash. */
export interface InitialAccessTokenRecord {
  id: string;
  tokenHash: string;
  label: string | null;
  /** Free-form claims scripts see (context.initialAccessToken.claims). */
  claims: Record<string, unknown>;
  /** Browser origins the token may be used from; empty: any. */
  allowedOrigins: string[];
  /** Milliseconds since the epoch, or null for never. */
  expiresAt: number | null;
  /** How many registrations it may make, or null for no limit. */
  maxRegistrations: number | null;
  createdAt: number;
  /** The administration client that issued it. */
  createdBy: string;
}

/** Values the stores index, derived from a record's metadata. */
export function indexedValues(record: ClientRecord): { softwareId: string | null; organisation: string | null; redirectHosts: string[] } {
  const { software_id: softwareId, org_id: organisation, redirect_uris: redirects } = record.metadata;
  const hosts = new Set<string>();
  for (const uri of Array.isArray(redirects) ? redirects : []) {
    try {
      hosts.add(new URL(uri).host);
    } catch {
      // Stored redirect URIs were validated; nothing to index otherwise.
    }
  }
  return {
    softwareId: typeof softwareId === 'string' ? softwareId : null,
    organisation: typeof organisation === 'string' ? organisation : null,
    redirectHosts: [...hosts],
  };
}

/** What one script call decided, for the decision log. */
export interface ScriptDecision {
  script: string;
  hook: string;
  /** `true`, `false`, `object`, `list(n)`, `none`, `rejected:<code>`, `failed:<code>`, `skipped:<code>` or `not-matched` (no call: see match conditions); a shadow script's `shadow:agreed`, `shadow:would-refuse`, `shadow:would-change` or `shadow:failed`. */
  decision: string;
  ms: number;
  /** The first 12 hex digits of the version's hash (script and settings). */
  version?: string;
}

/** What the decision log answers; every given member must match. Newest first. */
export interface DecisionFilter {
  clientId?: string;
  requestId?: string;
  operation?: string;
  outcome?: string;
  /** A script that took part (called, or not matched). */
  script?: string;
  /** A script version (hash prefix as recorded) that took part. */
  version?: string;
  /** Milliseconds since the epoch, inclusive. */
  since?: number;
  /** Milliseconds since the epoch, exclusive. */
  until?: number;
  /** Paging: records older than this one. */
  before?: { at: number; id: string };
  limit: number;
}

/** One record per registration request (POST, GET, PUT, DELETE on the registration endpoints) and per client ID metadata document resolved. */
export interface DecisionRecord {
  id: string;
  /** Milliseconds since the epoch. */
  at: number;
  requestId: string;
  operation: 'create' | 'read' | 'update' | 'delete' | 'metadata_document';
  clientId: string | null;
  /** HTTP status of the answer. */
  status: number;
  /** `ok`, or the RFC error code of the answer. */
  outcome: string;
  scripts: ScriptDecision[];
  latencyMs: number;
  /** The request's members as received, secrets removed (decisionLogStoreRequests), for replay; absent when not kept or too large. */
  request?: Record<string, unknown>;
}

/** One change of the server configuration: who made it, and each property's old and new value. */
export interface ConfigChange {
  id: string;
  /** When (ms). */
  at: number;
  /** The administration client that made it, or `DCR_CONFIG` for the file read at start. */
  actor: string;
  revision: number;
  changes: Array<{ property: string; old: unknown; new: unknown }>;
}

/** Server configuration properties as stored, shared by every instance using the store. */
export interface StoredConfig {
  properties: Record<string, unknown>;
  revision: number;
  updatedAt: number;
}

/** A client of the administration API (client_credentials at the token endpoint). */
export interface AdminClientRecord {
  clientId: string;
  /** scrypt hash of the secret (core/admin/secretHash.ts). */
  secretHash: string;
  scopes: string[];
  createdAt: number;
}

export interface ClientStore {
  /** A name for logs and benchmarks. */
  readonly kind: string;
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
  /** The stored server configuration, if any. */
  readConfig(): Promise<StoredConfig | undefined>;
  /** Stores the configuration if the stored revision is still `expectedRevision` (0: none yet). */
  writeConfig(properties: Record<string, unknown>, expectedRevision: number, now: number): Promise<boolean>;
  /** Writes decision records in one batch. */
  appendDecisions(records: DecisionRecord[]): Promise<void>;
  /** Keeps one record of a configuration change. */
  appendConfigChange(record: ConfigChange): Promise<void>;
  /** Configuration changes, newest first. */
  listConfigChanges(limit: number): Promise<ConfigChange[]>;
  /** Newest first. */
  listDecisions(filter: DecisionFilter): Promise<DecisionRecord[]>;
  /** Deletes decision records written before `before` (ms): retention is judged when purging, by the setting then in force. */
  purgeDecisions(before: number): Promise<number>;
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
  /**
   * Takes one of the `limit` places of `quota` for `holder` (true), or finds them all taken (false);
   * atomic across every instance sharing the store. A holder that already has a place keeps it.
   */
  claimPlace(quota: string, holder: string, limit: number, now: number): Promise<boolean>;
  releasePlace(quota: string, holder: string): Promise<void>;
  /** Who holds a place of `quota`, and since when (ms). */
  placeHolders(quota: string): Promise<Array<{ holder: string; at: number }>>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
