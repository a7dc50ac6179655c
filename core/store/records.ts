// What the stores keep: the records of each role (roles.ts), as every backend reads and writes them.
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
  /** The request's OpenTelemetry trace id, when tracing is on. */
  traceId?: string;
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
  /** SHA-256 of the DCR_CONFIG file content last applied (written whole) to the store; absent when none ever was. */
  fileHash?: string;
}

/** What one server process says of itself in the fleet view (each worker, each instance sharing the store). */
export interface ProcessReport {
  /** Random, per process start. */
  id: string;
  host: string;
  pid: number;
  /** Registrar's version (package.json). */
  version: string;
  /** `process` (alone), `worker` (one of DCR_WORKERS), `leader` (the worker running the background jobs). */
  role: 'process' | 'worker' | 'leader';
  startedAt: number;
  reportedAt: number;
  /** The configuration revision in force. */
  configurationRevision: number;
  /** Each script: its state and the version in force (the first 12 hex digits of its hash), if any. */
  scripts: Array<{ name: string; state: string; version: string | null }>;
  authorizationServer: { type: string | null; reachable: boolean | null; topology: string | null };
}

/** A client of the administration API (client_credentials at the token endpoint). */
export interface AdminClientRecord {
  clientId: string;
  /** scrypt hash of the secret (core/admin/secretHash.ts). */
  secretHash: string;
  scopes: string[];
  createdAt: number;
}
