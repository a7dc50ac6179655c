// Registrar's link to the authorization server in the configuration: the connection (rebuilt
// when the property changes), the all-or-nothing rule for every change of a client, the server's
// discovery metadata, and whether the server is reachable (one log line per outage and one when
// it is back).
import type { Logger } from 'pino';
import type { AuthorizationServerSettings, ConfigHolder } from '../config/index.ts';
import { OAuthError, TemporarilyUnavailable } from '../errors/index.ts';
import { getJson, trustedServerPolicy } from '../outbound/index.ts';
import type { RequestPolicy, ServerClientContext } from '../policy/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { sameValue } from './compare.ts';
import { serverCall } from './http.ts';
import { hydra } from './hydra.ts';
import { keycloak } from './keycloak.ts';
import { ServerCallError, type AuthorizationServer, type CallOutcome, type ServerClient } from './types.ts';

/** 502: the authorization server answered no to a change Registrar asked of it. */
export class UpstreamRefused extends OAuthError {
  constructor(description: string, cause?: unknown) {
    super('server_error', description, { status: 502, cause });
  }

  override get expose(): boolean {
    return true;
  }
}

/** Least time between two attempts to read a missing discovery document. */
const METADATA_RETRY_MS = 5000;

export interface LinkOptions {
  config: ConfigHolder;
  issuer: string;
  secrets: SecretBox;
  logger: Logger;
  /** Counts one call to the server. */
  onCall?: (operation: string, outcome: CallOutcome) => void;
  /** Told when the server becomes unreachable (false) and reachable again (true). */
  onReachable?: (reachable: boolean) => void;
  /** Told when the configuration names another server (the reconciler runs then). */
  onConnect?: () => void;
}

/** One change of a client, as the flow that makes it sees it. */
export interface ClientChange {
  operation: ServerClientContext['operation'] | 'delete';
  requestId: string;
  /** The client as stored before the change; undefined when it is new. */
  before: ClientRecord | undefined;
  /** The client as it will be stored; undefined when it is being deleted. */
  after: ClientRecord | undefined;
  /** The request's policy (modifyAuthorizationServerClient); none: the representation is sent as mapped. */
  policy?: RequestPolicy | undefined;
}

export class AuthorizationServerLink {
  readonly #options: LinkOptions;
  #settings: AuthorizationServerSettings | null = null;
  #settingsText = 'null';
  #server: AuthorizationServer | undefined;
  #reachable: boolean | undefined;
  #metadata: { document: Record<string, unknown>; fetchedAt: number } | undefined;
  #metadataAttempt = 0;
  #connected = false;
  /** Clients whose change is under way in this process: the reconciler leaves them alone. */
  readonly #inFlight = new Map<string, number>();

  constructor(options: LinkOptions) {
    this.#options = options;
  }

  /**
   * Connects to (or leaves) the server the configuration now names at once, rather than at the
   * next request that asks: a process serving nothing still runs its reconciler for the change.
   */
  followConfiguration(): void {
    void this.server;
  }

  /** The connection the configuration in force names, or undefined. */
  get server(): AuthorizationServer | undefined {
    const settings = this.#options.config.current.authorizationServer;
    if (settings !== this.#settings) {
      const text = JSON.stringify(settings);
      this.#settings = settings;
      if (text !== this.#settingsText) {
        this.#settingsText = text;
        this.#server = settings ? this.#connect(settings) : undefined;
        this.#metadata = undefined;
        this.#metadataAttempt = 0;
        this.#reachable = undefined;
        // Not on the first read: the composition root runs the reconciler at start itself.
        if (this.#connected) this.#options.onConnect?.();
      }
    }
    // Read once, even with no server named (the default): a server named later is a change.
    this.#connected = true;
    return this.#server;
  }

  #connect(settings: AuthorizationServerSettings): AuthorizationServer {
    const call = serverCall(
      () => trustedServerPolicy(this.#options.config.current, 16 * 1024 * 1024),
      (operation, outcome, error) => {
        this.#options.onCall?.(operation, outcome);
        if (outcome === 'unavailable') this.#down(error?.message ?? 'unreachable');
        else this.#up();
      },
    );
    const context = { issuer: this.#options.issuer, call };
    if (settings.type === 'hydra') return hydra(settings, context);
    if (settings.type === 'keycloak') return keycloak(settings, context);
    return oidcProvider(settings.issuer, call);
  }

  #down(reason: string): void {
    if (this.#reachable === false) return;
    this.#reachable = false;
    this.#options.logger.error({ type: this.#server?.type, reason }, 'the authorization server is unreachable');
    this.#options.onReachable?.(false);
  }

  #up(): void {
    if (this.#reachable === true) return;
    const wasDown = this.#reachable === false;
    this.#reachable = true;
    if (wasDown) this.#options.logger.info({ type: this.#server?.type }, 'the authorization server is reachable again');
    this.#options.onReachable?.(true);
  }

  /** For readiness: `none`, `ok`, or why the server cannot be had (it is asked each time). */
  async status(): Promise<{ ok: boolean; detail: string }> {
    const server = this.server;
    if (!server) return { ok: true, detail: 'none' };
    try {
      await server.ping();
      return { ok: true, detail: 'ok' };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  /** Reachability as last seen, without asking. */
  get reachable(): boolean | undefined {
    return this.#reachable;
  }

  /** The server's discovery document as last fetched; while there is none, it is asked for (at most every few seconds). */
  get metadata(): Record<string, unknown> | undefined {
    const server = this.server;
    if (server && !this.#metadata && Date.now() - this.#metadataAttempt > METADATA_RETRY_MS) void this.refreshMetadata(Date.now());
    return this.#metadata?.document;
  }

  get metadataFetchedAt(): number | undefined {
    return this.#metadata?.fetchedAt;
  }

  /** Fetches the server's discovery document; a failure keeps the last good copy. */
  async refreshMetadata(now: number): Promise<void> {
    const server = this.server;
    if (!server?.discoveryUrl) return;
    this.#metadataAttempt = Date.now();
    try {
      const document = await getJson(server.discoveryUrl, trustedServerPolicy(this.#options.config.current, 1024 * 1024));
      if (!document || typeof document !== 'object' || Array.isArray(document)) throw new Error('not a JSON object');
      if (this.server === server) this.#metadata = { document: document as Record<string, unknown>, fetchedAt: now };
    } catch (err) {
      this.#options.logger.warn({ url: server.discoveryUrl, err: (err as Error).message }, "reading the authorization server's discovery document failed");
    }
  }

  #mapped(server: AuthorizationServer, record: ClientRecord): ServerClient | undefined {
    return server.represent(record, record.secret === null ? undefined : this.#options.secrets.open(record.secret, record.clientId));
  }

  /** The representation to send for `record` (secret opened, the policy hook applied), or undefined: must not exist there. */
  async wanted(server: AuthorizationServer, record: ClientRecord, context: { operation: ServerClientContext['operation']; requestId: string; policy?: RequestPolicy | undefined }): Promise<ServerClient | undefined> {
    const mapped = this.#mapped(server, record);
    if (!mapped || !context.policy || server.type === 'oidc-provider') return mapped;
    const secret = mapped[server.secretMember];
    // The secret never enters a sandbox.
    const { [server.secretMember]: _withheld, ...shown } = mapped;
    const decided = await context.policy.modifyServerClient(shown, {
      operation: context.operation,
      requestId: context.requestId,
      clientId: record.clientId,
      client: record.metadata,
      authorizationServer: server.type,
    });
    return { ...decided, ...(secret === undefined ? {} : { [server.secretMember]: secret }), ...identity(server, mapped) };
  }

  /**
   * Makes the change at the server, then runs `write` (the store's side). A failure at the server
   * fails the change before anything is written (502 refused, 503 unreachable); a write that
   * fails or answers false undoes the server's side. Either both change, or neither.
   */
  async commit<T>(change: ClientChange, write: () => Promise<T>): Promise<T> {
    const server = this.server;
    if (!server?.pushes) return write();
    // A change the server does not model (a new registration access token) is the store's alone.
    if (change.before && change.after && sameValue(this.#mapped(server, change.before), this.#mapped(server, change.after))) return write();
    const clientId = change.before?.clientId ?? change.after?.clientId ?? '';
    this.#inFlight.set(clientId, (this.#inFlight.get(clientId) ?? 0) + 1);
    try {
      const from = change.before ? server.represent(change.before, undefined) !== undefined : false;
      const to = change.after && change.operation !== 'delete' ? await this.wanted(server, change.after, { ...change, operation: change.operation }) : undefined;
      try {
        await move(server, clientId, from, to);
      } catch (err) {
        throw asOAuthError(err);
      }
      let written: T;
      try {
        written = await write();
      } catch (err) {
        await this.#undo(server, change, to);
        throw err;
      }
      if (written === false) await this.#undo(server, change, to);
      return written;
    } finally {
      const left = (this.#inFlight.get(clientId) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(clientId);
      else this.#inFlight.set(clientId, left);
    }
  }

  /** What the connected server says of one of its access tokens, or undefined when the connection cannot tell. */
  async verifyAccessToken(token: string): Promise<Record<string, unknown> | undefined> {
    const server = this.server;
    if (!server?.verifyAccessToken) return undefined;
    try {
      return await server.verifyAccessToken(token);
    } catch (err) {
      throw asOAuthError(err);
    }
  }

  /** Whether a change of this client is under way in this process. */
  changing(clientId: string): boolean {
    return this.#inFlight.has(clientId);
  }

  async #undo(server: AuthorizationServer, change: ClientChange, applied: ServerClient | undefined): Promise<void> {
    const clientId = change.before?.clientId ?? change.after?.clientId ?? '';
    try {
      const previous = change.before ? this.#mapped(server, change.before) : undefined;
      await move(server, clientId, applied !== undefined, previous);
    } catch (err) {
      this.#options.logger.error({ clientId, err: (err as Error).message }, 'undoing a change at the authorization server failed; the reconciler will repair it');
    }
  }
}

/** The members that name the client at the server: a script may not move a change to another client. */
function identity(server: AuthorizationServer, mapped: ServerClient): ServerClient {
  return server.type === 'hydra' ? { client_id: mapped.client_id, metadata: mapped.metadata } : { clientId: mapped.clientId, attributes: { ...((mapped.attributes as object) ?? {}) } };
}

async function move(server: AuthorizationServer, clientId: string, exists: boolean, to: ServerClient | undefined): Promise<void> {
  if (to) await (exists ? server.update(to) : server.create(to));
  else if (exists) await server.remove(clientId);
}

function asOAuthError(err: unknown): OAuthError {
  if (err instanceof ServerCallError && err.kind === 'refused') return new UpstreamRefused(`the authorization server refused the change: ${err.message}`, err);
  return new TemporarilyUnavailable('the authorization server cannot be reached; nothing was changed, retry later', 5, err);
}

/** node-oidc-provider reads Registrar's store through the exported adapter: nothing is pushed. */
function oidcProvider(issuer: string | undefined, call: ReturnType<typeof serverCall>): AuthorizationServer {
  const discoveryUrl = issuer ? `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration` : undefined;
  return {
    type: 'oidc-provider',
    discoveryUrl,
    pushes: false,
    secretMember: 'client_secret',
    represent: () => undefined,
    create: async () => {},
    update: async () => {},
    remove: async () => {},
    listManaged: async () => new Map(),
    differs: () => false,
    async ping() {
      if (discoveryUrl) await call('ping', discoveryUrl);
    },
  };
}
