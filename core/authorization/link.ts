// Registrar's link to the authorization server in the configuration: the connection (rebuilt
// when the property changes), the all-or-nothing rule for every change of a client, the server's
// discovery metadata with what it shows (the lists it supports, the topology), and whether the
// server is reachable (one log line per outage and one when it is back).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { AuthorizationServerSettings, ConfigHolder, ServerConfig } from '../config/index.ts';
import { messageOf, OAuthError, TemporarilyUnavailable } from '../errors/index.ts';
import { trustedServerPolicy } from '../outbound/index.ts';
import type { RequestPolicy, ServerClientContext } from '../policy/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { sameValue } from './compare.ts';
import { serverCall } from './http.ts';
import { connect } from './connections.ts';
import { ServerMetadata, type Topology } from './metadata.ts';
import { narrowConfig } from './supported.ts';
import { ServerCallError, type AuthorizationServer, type CallOutcome, type ServerCall, type ServerClient } from './types.ts';

/** 502: the authorization server answered no to a change Registrar asked of it. */
export class UpstreamRefused extends OAuthError {
  constructor(description: string, cause?: unknown) {
    super('server_error', description, { status: 502, cause });
  }

  override get expose(): boolean {
    return true;
  }
}

export interface LinkOptions {
  config: ConfigHolder;
  issuer: string;
  /** Registrar's registration endpoint (a server's discovery may name it). */
  registrationEndpoint: string;
  secrets: SecretBox;
  logger: Logger;
  /** Counts one call to the server. */
  onCall?: (operation: string, outcome: CallOutcome) => void;
  /** Told when the server becomes unreachable (false) and reachable again (true). */
  onReachable?: (reachable: boolean) => void;
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

/** Calls made within one scope (a reconciler run): counted, and stopped together when it is aborted. */
interface CallScope {
  calls: number;
  signal: AbortSignal | undefined;
}

export class AuthorizationServerLink {
  readonly #options: LinkOptions;
  #settings: AuthorizationServerSettings | null = null;
  #settingsText = 'null';
  #server: AuthorizationServer | undefined;
  #metadata: ServerMetadata | undefined;
  #reachable: boolean | undefined;
  #connected = false;
  /** What was last logged of the metadata (its topology, or why it cannot be read). */
  #reported: string | undefined;
  readonly #narrowed = new WeakMap<object, { document: object; config: Readonly<ServerConfig> }>();
  readonly #scope = new AsyncLocalStorage<CallScope>();
  /** Clients whose change is under way in this process: the reconciler leaves them alone. */
  readonly #inFlight = new Map<string, number>();
  readonly #onConnect: Array<() => void> = [];

  constructor(options: LinkOptions) {
    this.#options = options;
  }

  /** Told when the configuration names another server (the reconciler runs then). */
  whenConnected(listener: () => void): void {
    this.#onConnect.push(listener);
  }

  /**
   * Connects to (or leaves) the server the configuration now names at once, rather than at the
   * next request that asks, and starts reading its metadata: a process serving nothing still runs
   * its reconciler for the change, and discovery is ready sooner.
   */
  followConfiguration(): void {
    void this.metadata?.refresh();
  }

  /** The connection the configuration in force names, or undefined. */
  get server(): AuthorizationServer | undefined {
    const settings = this.#options.config.current.authorizationServer;
    if (settings !== this.#settings) {
      const text = JSON.stringify(settings);
      this.#settings = settings;
      if (text !== this.#settingsText) {
        this.#settingsText = text;
        const connection = settings ? this.#connect(settings) : undefined;
        this.#server = connection?.server;
        this.#metadata = connection
          ? new ServerMetadata(connection.server.discoveryUrl, async (url) => (await connection.call('metadata', url, { allow: [] })).body, this.#options, (read) => this.#report(read))
          : undefined;
        this.#reachable = undefined;
        this.#reported = undefined;
        // Not on the first read: the composition root runs the reconciler at start itself.
        if (this.#connected) for (const listener of this.#onConnect) listener();
      }
    }
    // Read once, even with no server named (the default): a server named later is a change.
    this.#connected = true;
    return this.#server;
  }

  #connect(settings: AuthorizationServerSettings): { server: AuthorizationServer; call: ServerCall } {
    const call = serverCall(
      () => trustedServerPolicy(this.#options.config.current, 16 * 1024 * 1024),
      () => this.#scope.getStore()?.signal,
      (operation, outcome, error) => {
        const scope = this.#scope.getStore();
        if (scope) scope.calls++;
        this.#options.onCall?.(operation, outcome);
        if (outcome === 'unavailable') this.#down(error?.message ?? 'unreachable');
        else this.#up();
      },
    );
    const context = { issuer: this.#options.issuer, call, serverIssuer: () => this.#metadata?.document?.issuer as string | undefined };
    return { server: connect(settings, context), call };
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

  /**
   * Runs `work` with its calls to the server counted, and cut short when `signal` aborts (a
   * reconciler run when the process stops).
   */
  async scoped<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<{ result: T; calls: number }> {
    const scope: CallScope = { calls: 0, signal };
    const result = await this.#scope.run(scope, work);
    return { result, calls: scope.calls };
  }

  /** For readiness: `none`, `ok`, or why the server cannot be had (it is asked each time; its metadata must have been read). */
  async status(): Promise<{ ok: boolean; detail: string }> {
    const server = this.server;
    if (!server) return { ok: true, detail: 'none' };
    try {
      await server.ping();
    } catch (err) {
      return { ok: false, detail: messageOf(err) };
    }
    const metadata = await this.#metadata?.ensure().then(() => this.#metadata);
    if (metadata?.awaited) return { ok: false, detail: `its discovery document has not been read: ${metadata.error ?? 'not yet'}` };
    return { ok: true, detail: 'ok' };
  }

  /** Reachability as last seen, without asking. */
  get reachable(): boolean | undefined {
    return this.#reachable;
  }

  /** The server's discovery metadata: its last good document, when read, and where it is read from. */
  get metadata(): ServerMetadata | undefined {
    void this.server;
    return this.#metadata;
  }

  /** The topology the server's document shows (undefined: no server, or nothing read yet). */
  get topology(): Topology | undefined {
    return this.metadata?.topology();
  }

  /** Reads the server's discovery document again (the reconciler does on every run); a failure keeps the last good copy. */
  async refreshMetadata(): Promise<void> {
    await this.metadata?.refresh();
  }

  /** One log line each time what the metadata shows changes: where clients discover, why they cannot have one issuer, or why it cannot be read. */
  #report(metadata: ServerMetadata): void {
    if (metadata !== this.#metadata) return;
    const topology = metadata.topology();
    const failure = metadata.awaited ? metadata.error : undefined;
    const text = JSON.stringify({ topology, failure });
    if (text === this.#reported || (!topology && !failure)) return;
    this.#reported = text;
    const { logger } = this.#options;
    const type = this.#server?.type;
    if (topology?.kind === 'split') logger.warn({ type, problem: topology.problem }, 'clients cannot have one issuer for discovery, registration and tokens');
    else if (topology) logger.info({ type, topology: topology.kind, issuer: topology.issuer }, `clients discover at ${topology.issuer}`);
    else logger.warn({ type, url: metadata.url, err: failure }, "reading the authorization server's discovery document failed; discovery and registration answer 503 until it is read");
  }

  /**
   * The configuration with its published lists narrowed to what the connected server supports too,
   * from its last good document (the configuration as it is without a server, or before a read).
   */
  supportedConfig(config: Readonly<ServerConfig> = this.#options.config.current): Readonly<ServerConfig> {
    const server = this.server;
    const document = this.#metadata?.document;
    if (!server || !document) return config;
    const cached = this.#narrowed.get(config);
    if (cached?.document === document) return cached.config;
    const narrowed = narrowConfig(config, server.supported(document), server.scopesComplete);
    this.#narrowed.set(config, { document, config: narrowed });
    return narrowed;
  }

  /**
   * supportedConfig, once the server's document is known: it is read now when it has not been yet;
   * when it cannot be, 503 (nothing a client registers could be judged against the server).
   */
  async settledConfig(config: Readonly<ServerConfig> = this.#options.config.current): Promise<Readonly<ServerConfig>> {
    const metadata = this.metadata;
    if (metadata?.awaited) {
      await metadata.ensure();
      if (metadata.awaited) throw new TemporarilyUnavailable("the authorization server's metadata cannot be read yet; retry later", 5, metadata.error);
    }
    return this.supportedConfig(config);
  }

  #mapped(server: AuthorizationServer, record: ClientRecord): ServerClient | undefined {
    return server.represent(record, record.secret === null ? undefined : this.#options.secrets.open(record.secret, record.clientId));
  }

  /** The representation to send for `record` (secret opened, the policy hook applied), or undefined: must not exist there. */
  async wanted(server: AuthorizationServer, record: ClientRecord, context: { operation: ServerClientContext['operation']; requestId: string; policy?: RequestPolicy | undefined }): Promise<ServerClient | undefined> {
    const mapped = this.#mapped(server, record);
    if (!mapped || !context.policy || !server.pushes) return mapped;
    const secret = mapped[server.secretMember];
    // The secret never enters a sandbox.
    const { [server.secretMember]: _withheld, ...shown } = mapped;
    const decided = await context.policy.modifyServerClient(shown, {
      operation: context.operation,
      requestId: context.requestId,
      clientId: record.clientId,
      client: record.metadata,
      // Only servers Registrar pushes to get here, and the hook's context names those.
      authorizationServer: server.type as ServerClientContext['authorizationServer'],
    });
    return { ...decided, ...(secret === undefined ? {} : { [server.secretMember]: secret }), ...server.identity(mapped) };
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
      this.#options.logger.error({ clientId, err }, 'undoing a change at the authorization server failed; the reconciler will repair it');
    }
  }
}

async function move(server: AuthorizationServer, clientId: string, exists: boolean, to: ServerClient | undefined): Promise<void> {
  if (to) await (exists ? server.update(to) : server.create(to));
  else if (exists) await server.remove(clientId);
}

function asOAuthError(err: unknown): OAuthError {
  if (err instanceof ServerCallError && err.kind === 'refused') return new UpstreamRefused(`the authorization server refused the change: ${err.message}`, err);
  return new TemporarilyUnavailable('the authorization server cannot be reached; nothing was changed, retry later', 5, err);
}
