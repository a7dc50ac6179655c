// The contract every authorization-server connection implements, owned here: how a client that
// Registrar holds is represented at the server, and the calls that create, change, find and
// remove it there. The registration flow and the reconciler speak only this.
import type { ClientRecord } from '../store/index.ts';
import type { ServerLists } from './supported.ts';

/** A client in the server's own representation (Hydra's OAuth2Client, Keycloak's ClientRepresentation). */
export type ServerClient = Record<string, unknown>;

export type CallOutcome = 'ok' | 'refused' | 'unavailable';

/** Why a call to the authorization server failed: it answered no (4xx), or it could not be had (network, timeout, 5xx). */
export class ServerCallError extends Error {
  readonly kind: Exclude<CallOutcome, 'ok'>;
  constructor(kind: Exclude<CallOutcome, 'ok'>, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerCallError';
    this.kind = kind;
  }
}

export interface AuthorizationServer {
  readonly type: 'hydra' | 'keycloak' | 'oidc-provider';
  /** Where Registrar reads its discovery document (undefined: nowhere, its lists are not known). */
  readonly discoveryUrl: string | undefined;
  /**
   * The *_supported lists its discovery document states, as this connection honours them end to
   * end: documentLists(document), adjusted with what the connection knows beyond the document.
   */
  supported(document: Record<string, unknown>): ServerLists;
  /** Whether its scopes_supported names every scope it grants, or only some (scopes are then added, not narrowed). */
  readonly scopesComplete: boolean;
  /** false when the server reads Registrar's store itself (oidc-provider): nothing is pushed. */
  readonly pushes: boolean;
  /** The member of a representation that carries the client secret (withheld from scripts). */
  readonly secretMember: string;
  /**
   * The server's representation of a client as Registrar holds it, or undefined when the
   * client must not exist there (awaiting approval, or disabled at a server without an enabled flag).
   */
  represent(record: ClientRecord, secret: string | undefined): ServerClient | undefined;
  /** Creates the client (or replaces one of the same id that is already there). */
  create(client: ServerClient): Promise<void>;
  /** Replaces the client (or creates it when it is missing). */
  update(client: ServerClient): Promise<void>;
  /** Removes the client; one that is not there counts as removed. */
  remove(clientId: string): Promise<void>;
  /** The clients at the server that this Registrar created, by client_id. */
  listManaged(): Promise<Map<string, ServerClient>>;
  /** The members of a representation that name the client there (a script may not move a change to another client). */
  identity(client: ServerClient): ServerClient;
  /** Whether the server's copy differs from the representation wanted (the secret is not compared). */
  differs(wanted: ServerClient, actual: ServerClient): boolean;
  /** Resolves when the server answers. */
  ping(): Promise<void>;
  /** What an access token the server issued says (RFC 7662's answer: `active` and the claims), where the connection can tell. */
  verifyAccessToken?(token: string): Promise<Record<string, unknown>>;
}

/** What a connection needs from the rest of Registrar. */
export interface ConnectionContext {
  /** Registrar's issuer: clients it creates are marked with it, so it never touches others. */
  issuer: string;
  /** One call to the server, counted by operation and outcome. */
  call: ServerCall;
  /** The issuer its discovery document names, once read (tokens carry it). */
  serverIssuer(): string | undefined;
}

export interface ServerResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * A JSON call: resolves with 2xx answers and those `allow` names (404 by default: an answer
 * callers act on), throws ServerCallError `refused` for other 4xx and `unavailable` for 5xx,
 * 429, timeouts and network failures.
 */
export type ServerCall = (
  operation: string,
  url: string,
  options?: { method?: string; headers?: Record<string, string>; json?: unknown; form?: Record<string, string>; allow?: number[] },
) => Promise<ServerResponse>;
