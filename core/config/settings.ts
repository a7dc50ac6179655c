// Process settings, from environment variables: the only module that reads the environment.
// Read and validated once at start, then frozen.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { messageOf } from '../errors/index.ts';

export interface Settings {
  /** TCP port (PORT, default 8080). */
  port: number;
  /** Listen address (DCR_HOST, default 0.0.0.0). */
  host: string;
  /** Public base URL without trailing slash (DCR_ISSUER, default http://localhost:PORT). */
  issuer: string;
  /** JSON file of server configuration properties (DCR_CONFIG). */
  configFile: string | undefined;
  /** Embedded store directory (DCR_DATA_DIR, default ./data). */
  dataDir: string;
  /** Start on an embedded store that shows it lost data (DCR_ACCEPT_STORE_LOSS=true). */
  acceptStoreLoss: boolean;
  /** The embedded store refuses writes while its disk has less room (DCR_STORE_MIN_FREE_MB, default 64). */
  storeMinFreeMb: number;
  /** Interception scripts folder (DCR_SCRIPTS_DIR, default ./scripts). */
  scriptsDir: string;
  /** The one folder plugins read files from, e.g. trust anchors (DCR_PLUGIN_FILES_DIR, default ./plugin-files). */
  pluginFilesDir: string;
  /** 32-byte key for client secrets at rest, base64 or hex (DCR_ENCRYPTION_KEY). */
  encryptionKey: string | undefined;
  /** Keys secrets may still be sealed with, while they are sealed again with the current one (DCR_ENCRYPTION_KEY_PREVIOUS, comma-separated). */
  encryptionKeysPrevious: string[];
  /** pino level (DCR_LOG_LEVEL, default info). */
  logLevel: string;
  /** The first administration client (DCR_ADMIN_CLIENT_ID / DCR_ADMIN_CLIENT_SECRET), granted every admin scope. */
  adminClient: { clientId: string; secret: string } | undefined;
  /** Poll the scripts folder instead of using file-system events (DCR_SCRIPTS_POLLING=true). */
  scriptsPolling: boolean;
  /** Start without a scripts folder, on purpose (DCR_SCRIPTS_OPTIONAL=true); otherwise a missing one stops the start. */
  scriptsOptional: boolean;
  /** How long a save that removes policy must stand still before it applies (DCR_SCRIPTS_HOLD_SECONDS, default 2). */
  scriptsHoldMs: number;
  /** The isolate heap all scripts of the process may hold together (DCR_SANDBOX_MEMORY_MB, default 4096). */
  sandboxMemoryMb: number;
  /** How long a stop waits for requests in flight before cutting them (DCR_SHUTDOWN_TIMEOUT_SECONDS, default 10). */
  shutdownTimeoutMs: number;
  /** Longest time to receive a whole request, headers and body (DCR_REQUEST_TIMEOUT_SECONDS, default 30). */
  requestTimeoutMs: number;
  /** MongoDB connection string (MONGODB_URI); selects the MongoDB store. */
  mongodbUri: string | undefined;
  /** MongoDB database name (DCR_MONGODB_DATABASE, default registrar). */
  mongodbDatabase: string;
  /** Claim each revision before a conditional update (DCR_MONGODB_REVISION_CLAIMS: auto, true, false). */
  mongodbRevisionClaims: 'auto' | boolean;
  /** Server processes sharing the port (DCR_WORKERS: a number, or `auto` for the available cores; default 1). */
  workers: number;
  /**
   * OpenTelemetry tracing: on when OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
   * OTEL_TRACES_EXPORTER is set (and OTEL_SDK_DISABLED is not true, OTEL_TRACES_EXPORTER not none); the SDK
   * reads the other OTEL_* variables itself. `serviceName` when OTEL_SERVICE_NAME names none.
   */
  tracing: { enabled: boolean; serviceName: string | undefined };
  /** HTTPS listener: PEM files (DCR_TLS_CERT_FILE, DCR_TLS_KEY_FILE, DCR_TLS_CA_FILE); plain HTTP without them. */
  tls: { cert: string; key: string; ca: string | undefined } | undefined;
}

export const ENVIRONMENT: ReadonlyArray<{ name: string; default: string; description: string }> = [
  { name: 'PORT', default: '8080', description: 'TCP port to listen on.' },
  { name: 'DCR_HOST', default: '0.0.0.0', description: 'Listen address (`127.0.0.1` to accept local connections only, `::` for IPv6).' },
  { name: 'DCR_ISSUER', default: 'http://localhost:PORT', description: 'Public base URL; endpoint URLs in discovery and responses are built from it. With the HTTPS listener (DCR_TLS_*) the default is https://localhost:PORT.' },
  { name: 'DCR_CONFIG', default: '(none)', description: 'Path to a JSON file of server configuration properties (table below).' },
  { name: 'DCR_DATA_DIR', default: './data', description: 'Directory of the embedded store (`registrar.db`, `store.json` naming the store it holds) and the generated dev key.' },
  { name: 'DCR_ACCEPT_STORE_LOSS', default: 'false', description: '`true` to start on an embedded store that shows it lost data: a database emptied or replaced (its identity is not the one `store.json` records), or a write-ahead log gone after an unclean stop. Otherwise such a start is refused with what was found; see [storage.md](storage.md).' },
  { name: 'DCR_STORE_MIN_FREE_MB', default: '64', description: "The embedded store refuses writes (503) while the data folder's file system has less room than this, and readiness says so; a write that fails for want of room does the same until one succeeds again." },
  { name: 'DCR_SCRIPTS_DIR', default: './scripts', description: 'Folder of interception scripts, watched and hot-reloaded.' },
  { name: 'DCR_PLUGIN_FILES_DIR', default: './plugin-files', description: "The only folder plugins read files from (the directory plugin's `trustAnchorsFile`), named relative to it: regular files only, at most 1 MiB, never through a symbolic link." },
  { name: 'DCR_ENCRYPTION_KEY', default: '(generated dev key)', description: '32-byte AES-256-GCM key for client secrets at rest, base64 or hex. Required with MONGODB_URI; on the embedded store a dev key is generated in DCR_DATA_DIR, with a warning, when it is absent.' },
  { name: 'DCR_ENCRYPTION_KEY_PREVIOUS', default: '(none)', description: 'Earlier encryption keys, comma-separated, while keys rotate: secrets sealed with them are still read, and the process running the background jobs seals them again with DCR_ENCRYPTION_KEY at start (logged with counts). Remove them once that is done; see [operations.md](operations.md#rotating-the-encryption-key).' },
  { name: 'DCR_LOG_LEVEL', default: 'info', description: 'Log level (`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`).' },
  { name: 'DCR_ADMIN_CLIENT_ID', default: '(none)', description: 'client_id of the first administration client (like Janssen\'s config-api client); it gets every administration scope.' },
  { name: 'DCR_ADMIN_CLIENT_SECRET', default: '(none)', description: 'Its secret (stored as a scrypt hash).' },
  { name: 'MONGODB_URI', default: '(none: embedded store)', description: 'MongoDB connection string; when set, clients, configuration and the decision log live in MongoDB.' },
  { name: 'DCR_MONGODB_DATABASE', default: 'registrar', description: 'MongoDB database name.' },
  { name: 'DCR_MONGODB_REVISION_CLAIMS', default: 'auto', description: 'Claim each revision in a side collection before a conditional update, for wire servers whose conditional updates are not atomic (FerretDB 1.x). `auto`: on for FerretDB, off for MongoDB; `true` / `false` decide.' },
  { name: 'DCR_TLS_CERT_FILE', default: '(none: plain HTTP)', description: 'PEM certificate (chain) of the HTTPS listener. With DCR_TLS_KEY_FILE, the server speaks HTTPS on PORT and asks clients for a certificate without rejecting any at the TLS layer.' },
  { name: 'DCR_TLS_KEY_FILE', default: '(none)', description: 'PEM private key of the HTTPS listener.' },
  { name: 'DCR_TLS_CA_FILE', default: '(none)', description: 'PEM bundle of the client-certificate CAs the listener advertises.' },
  { name: 'DCR_WORKERS', default: '1', description: 'Server processes sharing the port, each with its own script isolates and folder watcher, all on the same store; `auto` runs one per available core. With more than one, a supervising process starts them one after the other, replaces one that dies, gathers their metrics for `/metrics`, and has one of them run the background jobs (purges, the reconciler). Rate limits are counted per process.' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: '(none)', description: 'Set (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER) to trace with OpenTelemetry: a span per request, hook call, plugin call, store operation and authorization server call, W3C `traceparent` sent onward, the trace id in decision records and log lines. Every other OTEL_* variable (OTEL_SERVICE_NAME, default `registrar`; OTEL_EXPORTER_OTLP_PROTOCOL, default http/protobuf; OTEL_TRACES_SAMPLER; ...) is read by the OpenTelemetry SDK as it documents. See [tracing.md](tracing.md).' },
  { name: 'DCR_SCRIPTS_OPTIONAL', default: 'false', description: '`true` when running without a scripts folder is intended (readiness then says `scripts: none`); otherwise a missing or unreadable DCR_SCRIPTS_DIR stops the start, so a typo cannot silently remove every policy.' },
  { name: 'DCR_SCRIPTS_HOLD_SECONDS', default: '2', description: "A save that removes policy (a script's file gone, or a version exporting fewer hooks than the one in force) applies only once the script's files have stood still this long; the version in force serves meanwhile, so a save caught half-way never opens a deny policy. Other saves apply at once. 0: no hold." },
  { name: 'DCR_SANDBOX_MEMORY_MB', default: '4096', description: "The isolate heap every script of the process may hold together: each isolate takes its `memoryLimitMb` from it while it lives (versions in force, versions draining, rebuilds, replays). An isolate that does not fit is not built: the new version is refused (the one in force keeps serving)." },
  { name: 'DCR_SCRIPTS_POLLING', default: 'false', description: '`true` to poll the scripts folder (bind mounts, network file systems) instead of using file-system events.' },
  { name: 'DCR_REQUEST_TIMEOUT_SECONDS', default: '30', description: 'Longest time a client may take to send a whole request, headers and body; a slower one gets 408 and its connection is closed.' },
  { name: 'DCR_SHUTDOWN_TIMEOUT_SECONDS', default: '10', description: 'On SIGTERM or SIGINT: no new connections, requests in flight answered (with `Connection: close`), idle connections closed, decision records flushed; what is still open after this many seconds is cut.' },
];

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`PORT must be a TCP port number, got "${env.PORT}"`);
  const tls = readTls(env);
  const issuer = (env.DCR_ISSUER || `${tls ? 'https' : 'http'}://localhost:${port}`).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new TypeError(`DCR_ISSUER must be an absolute URL, got "${issuer}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('DCR_ISSUER must be an http(s) URL');
  if (url.search || url.hash) throw new TypeError('DCR_ISSUER must not have a query or fragment');
  return Object.freeze({
    port,
    host: env.DCR_HOST || '0.0.0.0',
    issuer,
    configFile: env.DCR_CONFIG || undefined,
    dataDir: resolve(env.DCR_DATA_DIR || 'data'),
    acceptStoreLoss: env.DCR_ACCEPT_STORE_LOSS === 'true',
    storeMinFreeMb: megabytes('DCR_STORE_MIN_FREE_MB', env.DCR_STORE_MIN_FREE_MB, 64, 0),
    scriptsDir: resolve(env.DCR_SCRIPTS_DIR || 'scripts'),
    pluginFilesDir: resolve(env.DCR_PLUGIN_FILES_DIR || 'plugin-files'),
    encryptionKey: environmentEncryptionKey(env),
    encryptionKeysPrevious: environmentPreviousKeys(env),
    logLevel: env.DCR_LOG_LEVEL || 'info',
    adminClient: readAdminClient(env),
    scriptsPolling: env.DCR_SCRIPTS_POLLING === 'true',
    requestTimeoutMs: seconds('DCR_REQUEST_TIMEOUT_SECONDS', env.DCR_REQUEST_TIMEOUT_SECONDS, 30) * 1000,
    shutdownTimeoutMs: seconds('DCR_SHUTDOWN_TIMEOUT_SECONDS', env.DCR_SHUTDOWN_TIMEOUT_SECONDS, 10) * 1000,
    mongodbUri: env.MONGODB_URI || undefined,
    mongodbDatabase: env.DCR_MONGODB_DATABASE || 'registrar',
    mongodbRevisionClaims: readRevisionClaims(env.DCR_MONGODB_REVISION_CLAIMS),
    scriptsOptional: env.DCR_SCRIPTS_OPTIONAL === 'true',
    scriptsHoldMs: seconds('DCR_SCRIPTS_HOLD_SECONDS', env.DCR_SCRIPTS_HOLD_SECONDS, 2) * 1000,
    sandboxMemoryMb: megabytes('DCR_SANDBOX_MEMORY_MB', env.DCR_SANDBOX_MEMORY_MB, 4096, 8),
    workers: readWorkers(env.DCR_WORKERS),
    tracing: readTracing(env),
    tls,
  });
}

function readAdminClient(env: NodeJS.ProcessEnv): Settings['adminClient'] {
  const { DCR_ADMIN_CLIENT_ID: clientId, DCR_ADMIN_CLIENT_SECRET: secret } = env;
  if (!clientId && !secret) return undefined;
  if (!clientId || !secret) throw new TypeError('DCR_ADMIN_CLIENT_ID and DCR_ADMIN_CLIENT_SECRET must be set together');
  if (secret.length < 16) throw new TypeError('DCR_ADMIN_CLIENT_SECRET must be at least 16 characters');
  return { clientId, secret };
}

/** What the command line (`npx registrar`) takes from the environment when its options do not say. */
export interface CommandLineEnvironment {
  /** REGISTRAR_URL, else http://localhost:PORT (PORT, default 8080). */
  url: string;
  /** REGISTRAR_TOKEN: an administration access token. */
  token: string | undefined;
  /** REGISTRAR_CLIENT_ID, else DCR_ADMIN_CLIENT_ID. */
  clientId: string | undefined;
  /** REGISTRAR_CLIENT_SECRET, else the file REGISTRAR_CLIENT_SECRET_FILE names, else DCR_ADMIN_CLIENT_SECRET. */
  clientSecret: string | undefined;
  clientSecretFile: string | undefined;
  /** DCR_SCRIPTS_DIR, default ./scripts (resolved). */
  scriptsDir: string;
}

export function commandLineEnvironment(env: NodeJS.ProcessEnv = process.env): CommandLineEnvironment {
  return {
    url: env.REGISTRAR_URL || `http://localhost:${env.PORT || '8080'}`,
    token: env.REGISTRAR_TOKEN || undefined,
    clientId: env.REGISTRAR_CLIENT_ID || env.DCR_ADMIN_CLIENT_ID || undefined,
    clientSecret: env.REGISTRAR_CLIENT_SECRET || (env.REGISTRAR_CLIENT_SECRET_FILE ? undefined : env.DCR_ADMIN_CLIENT_SECRET) || undefined,
    clientSecretFile: env.REGISTRAR_CLIENT_SECRET_FILE || undefined,
    scriptsDir: resolve(env.DCR_SCRIPTS_DIR || 'scripts'),
  };
}

/** DCR_ENCRYPTION_KEY, for code that runs outside the server (the node-oidc-provider adapter in the provider's process). */
export function environmentEncryptionKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DCR_ENCRYPTION_KEY || undefined;
}

/** DCR_ENCRYPTION_KEY_PREVIOUS, comma-separated, likewise. */
export function environmentPreviousKeys(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.DCR_ENCRYPTION_KEY_PREVIOUS ?? '').split(',').map((key) => key.trim()).filter(Boolean);
}

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new TypeError(`${name} must be a number of seconds, not "${value}"`);
  return parsed;
}

function megabytes(name: string, value: string | undefined, fallback: number, minimum: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new TypeError(`${name} must be a whole number of megabytes (${minimum} or more), not "${value}"`);
  return parsed;
}

function readTracing(env: NodeJS.ProcessEnv): Settings['tracing'] {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  const asked = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || exporter);
  const enabled = asked && env.OTEL_SDK_DISABLED !== 'true' && exporter !== 'none';
  return { enabled, serviceName: env.OTEL_SERVICE_NAME ? undefined : 'registrar' };
}

function readWorkers(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  if (value === 'auto') return availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 256) throw new TypeError(`DCR_WORKERS must be a number of processes (1-256) or auto, not "${value}"`);
  return count;
}

function readRevisionClaims(value: string | undefined): 'auto' | boolean {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'true' || value === 'false') return value === 'true';
  throw new TypeError(`DCR_MONGODB_REVISION_CLAIMS must be auto, true or false, not "${value}"`);
}

function readTls(env: NodeJS.ProcessEnv): Settings['tls'] {
  const { DCR_TLS_CERT_FILE: certFile, DCR_TLS_KEY_FILE: keyFile, DCR_TLS_CA_FILE: caFile } = env;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new TypeError('DCR_TLS_CERT_FILE and DCR_TLS_KEY_FILE must be set together');
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new TypeError(`${name}: cannot read ${file}: ${messageOf(err)}`);
    }
  };
  return { cert: read('DCR_TLS_CERT_FILE', certFile), key: read('DCR_TLS_KEY_FILE', keyFile), ca: caFile ? read('DCR_TLS_CA_FILE', caFile) : undefined };
}
