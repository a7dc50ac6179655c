// `registrar/oidc-provider`: an adapter for node-oidc-provider 9 (its `adapter` option) whose
// Client model reads Registrar's store, so that clients registered at Registrar authenticate at
// the provider with the credentials Registrar issued, and follow every change at once (nothing is
// pushed, nothing cached). Every other model goes to a fallback adapter, in memory by default.
//
//   import Provider from 'oidc-provider';
//   import { registrarAdapter } from 'registrar/oidc-provider';
//   const adapter = registrarAdapter({ dataDir: '/var/lib/registrar' });
//   const provider = new Provider('https://op.example.com', { adapter, features: { clientCredentials: { enabled: true } } });
import { environmentEncryptionKey, environmentPreviousKeys } from '../config/index.ts';
import { createLogger } from '../log/index.ts';
import { loadEncryptionKey, parseKey, SecretBox } from '../secrets/index.ts';
import { EmbeddedStore, markUsed, MongoStore, type Store } from '../store/index.ts';

/** The provider's adapter interface (node-oidc-provider 9). */
export interface ProviderAdapter {
  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type ProviderAdapterClass = new (name: string) => ProviderAdapter;

export interface RegistrarAdapterOptions {
  /** Registrar's DCR_DATA_DIR, for the embedded store (and its development key). */
  dataDir?: string;
  /** Registrar's MONGODB_URI and DCR_MONGODB_DATABASE (default `registrar`), for the MongoDB store. */
  mongodbUri?: string;
  database?: string;
  /** The key Registrar seals client secrets with; default DCR_ENCRYPTION_KEY, else the data folder's development key. */
  encryptionKey?: string;
  /** Keys secrets may still be sealed with while keys rotate (default: DCR_ENCRYPTION_KEY_PREVIOUS). */
  previousEncryptionKeys?: string[];
  /** The adapter for every model but Client; default: in memory, in this process. */
  fallback?: ProviderAdapterClass;
  /** The client metadata members handed to the provider; default: those of RFC 7591 and OpenID Connect it models. */
  members?: readonly string[];
  /**
   * Client ID metadata documents: a client_id that is an http(s) URL is resolved by Registrar
   * (`GET {url}/cimd`, with an administration client holding the clients.write scope), so the
   * document goes through Registrar's checks and policy before the provider sees the client.
   */
  metadataDocuments?: { url: string; clientId: string; clientSecret: string };
}

/** Client metadata node-oidc-provider models (Registrar's own members, such as trusted_client, stay behind). */
export const PROVIDER_MEMBERS: readonly string[] = [
  'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'application_type', 'client_name', 'client_uri',
  'logo_uri', 'policy_uri', 'tos_uri', 'contacts', 'scope', 'token_endpoint_auth_method', 'token_endpoint_auth_signing_alg',
  'jwks', 'jwks_uri', 'sector_identifier_uri', 'subject_type', 'id_token_signed_response_alg', 'id_token_encrypted_response_alg',
  'id_token_encrypted_response_enc', 'userinfo_signed_response_alg', 'userinfo_encrypted_response_alg', 'userinfo_encrypted_response_enc',
  'request_object_signing_alg', 'request_object_encryption_alg', 'request_object_encryption_enc', 'request_uris', 'default_max_age',
  'require_auth_time', 'default_acr_values', 'initiate_login_uri', 'tls_client_certificate_bound_access_tokens', 'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email', 'backchannel_logout_uri',
  'backchannel_logout_session_required', 'frontchannel_logout_uri', 'frontchannel_logout_session_required',
  'authorization_signed_response_alg', 'authorization_encrypted_response_alg', 'authorization_encrypted_response_enc',
  'backchannel_token_delivery_mode', 'backchannel_client_notification_endpoint', 'backchannel_authentication_request_signing_alg',
  'backchannel_user_code_parameter', 'require_pushed_authorization_requests', 'dpop_bound_access_tokens',
];

/** The adapter class for node-oidc-provider's `adapter` option. `close()` on it closes the store. */
export function registrarAdapter(options: RegistrarAdapterOptions): ProviderAdapterClass & { close(): Promise<void> } {
  if (!options.dataDir && !options.mongodbUri) throw new TypeError('registrarAdapter: give dataDir (embedded store) or mongodbUri (MongoDB)');
  const configuredKey = options.encryptionKey ?? environmentEncryptionKey();
  if (!configuredKey && !options.dataDir) throw new TypeError('registrarAdapter: encryptionKey (or DCR_ENCRYPTION_KEY) is required with MongoDB');
  const key = configuredKey ? parseKey(configuredKey, 'encryptionKey') : loadEncryptionKey(undefined, options.dataDir ?? '', () => {});
  const previous = (options.previousEncryptionKeys ?? environmentPreviousKeys()).map((text) => parseKey(text, 'previousEncryptionKeys'));
  const secrets = new SecretBox(key, previous);
  const members = options.members ?? PROVIDER_MEMBERS;
  const Fallback = options.fallback ?? MemoryAdapter;
  let opened: Promise<Store> | undefined;
  const store = () =>
    (opened ??= options.mongodbUri
      ? MongoStore.connect({ uri: options.mongodbUri, database: options.database ?? 'registrar', logger: createLogger('warn') })
      : Promise.resolve(new EmbeddedStore(options.dataDir ?? '')));

  const resolver = options.metadataDocuments ? metadataDocumentResolver(options.metadataDocuments) : undefined;

  async function findClient(clientId: string): Promise<Record<string, unknown> | undefined> {
    // Registrar fetches, checks and stores the document (or answers the fresh copy); the store then has it.
    if (resolver && /^https?:\/\//.test(clientId) && !(await resolver(clientId))) return undefined;
    const { clients } = await store();
    const found = await clients.find(clientId, Date.now());
    if (!found || found.disabled || found.metadata.client_status === 'pending') return undefined;
    // A lookup is a use (inactivity expiry), noted at most once an hour.
    const record = await markUsed(clients, found, Date.now()).catch(() => found);
    const client: Record<string, unknown> = { client_id: record.clientId, client_id_issued_at: record.clientIdIssuedAt, client_secret_expires_at: record.clientSecretExpiresAt };
    for (const member of members) if (record.metadata[member] !== undefined) client[member] = record.metadata[member];
    if (record.secret !== null) client.client_secret = secrets.open(record.secret, record.clientId);
    return client;
  }

  const refuse = () => Promise.reject(new Error('clients are registered at Registrar; the provider does not write them'));

  class RegistrarAdapter implements ProviderAdapter {
    readonly #fallback: ProviderAdapter | undefined;

    constructor(name: string) {
      this.#fallback = name === 'Client' ? undefined : new Fallback(name);
    }

    static async close(): Promise<void> {
      if (opened) await (await opened).close();
      opened = undefined;
    }

    upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      return this.#fallback ? this.#fallback.upsert(id, payload, expiresIn) : refuse();
    }
    find(id: string) {
      return this.#fallback ? this.#fallback.find(id) : findClient(id);
    }
    findByUserCode(userCode: string) {
      return this.#fallback ? this.#fallback.findByUserCode(userCode) : Promise.resolve(undefined);
    }
    findByUid(uid: string) {
      return this.#fallback ? this.#fallback.findByUid(uid) : Promise.resolve(undefined);
    }
    consume(id: string) {
      return this.#fallback ? this.#fallback.consume(id) : refuse();
    }
    destroy(id: string) {
      return this.#fallback ? this.#fallback.destroy(id) : refuse();
    }
    revokeByGrantId(grantId: string) {
      return this.#fallback ? this.#fallback.revokeByGrantId(grantId) : Promise.resolve();
    }
  }
  return RegistrarAdapter;
}

/** Asks Registrar to resolve a metadata document URL; false when Registrar refuses it. */
function metadataDocumentResolver(registrar: { url: string; clientId: string; clientSecret: string }): (clientId: string) => Promise<boolean> {
  const base = registrar.url.replace(/\/+$/, '');
  let token: { value: string; until: number } | undefined;
  const accessToken = async () => {
    if (token && token.until > Date.now()) return token.value;
    const response = await fetch(`${base}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(registrar.clientId)}:${encodeURIComponent(registrar.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'https://jans.io/oauth/config/openid/clients.write' }).toString(),
    });
    const answer = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!response.ok || !answer.access_token) throw new Error(`Registrar refused the adapter's administration client (${response.status})`);
    token = { value: answer.access_token, until: Date.now() + Math.max(5, (answer.expires_in ?? 60) - 10) * 1000 };
    return token.value;
  };
  return async (clientId) => {
    const response = await fetch(`${base}/cimd?client_id=${encodeURIComponent(clientId)}`, { headers: { authorization: `Bearer ${await accessToken()}` } });
    if (response.ok) return true;
    if (response.status === 400) return false;
    throw new Error(`Registrar could not resolve the metadata document (${response.status})`);
  };
}

/** Entries the in-memory fallback keeps at most (the oldest go first), so no traffic grows it without bound. */
const MEMORY_ENTRIES = 100_000;
const memory = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();

/** The in-memory fallback: one map per process, entries expire with their expiresIn. */
export class MemoryAdapter implements ProviderAdapter {
  readonly #model: string;

  constructor(model: string) {
    this.#model = model;
  }

  #key(id: string) {
    return `${this.#model}:${id}`;
  }

  #live(key: string) {
    const entry = memory.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      memory.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
    const key = this.#key(id);
    memory.delete(key);
    memory.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
  }
  async find(id: string) {
    return this.#live(this.#key(id));
  }
  async findByUid(uid: string) {
    for (const [key, entry] of memory) if (key.startsWith(`${this.#model}:`) && entry.payload.uid === uid) return this.#live(key);
    return undefined;
  }
  async findByUserCode(userCode: string) {
    for (const [key, entry] of memory) if (key.startsWith(`${this.#model}:`) && entry.payload.userCode === userCode) return this.#live(key);
    return undefined;
  }
  async consume(id: string) {
    const payload = this.#live(this.#key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    memory.delete(this.#key(id));
  }
  async revokeByGrantId(grantId: string) {
    for (const [key, entry] of memory) if (entry.payload.grantId === grantId) memory.delete(key);
  }
}
