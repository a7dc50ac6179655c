// Types for script authors: the `host` global, RegistrationError, and every hook's context and
// result. A `.ts` script imports them with `import type` (erased before it runs) and is
// type-checked by `npm test`; editors autocomplete `.js` scripts from them too.
import type { KnownClientMetadata } from '../core/metadata/index.ts';
import type { MatchCondition, MatchableHook } from '../core/sandbox/match.ts';

/** Client metadata in wire form (snake_case), plus language-tagged and custom members. */
export type ClientMetadata = Partial<KnownClientMetadata> & { [member: string]: unknown };

export type RejectionCode =
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'invalid_software_statement'
  | 'unapproved_software_statement'
  | 'invalid_request'
  | 'access_denied';

/** The client certificate presented with the request (TLS socket, or a trusted proxy's header). */
export type { ClientCertificate, DistinguishedName } from '../core/certificate/index.ts';
import type { ClientCertificate } from '../core/certificate/index.ts';

export interface HookContext<Properties = Record<string, unknown>> {
  operation: 'create' | 'update' | 'read' | 'delete';
  requestId: string;
  /** The client's id (on create, the id it will get). */
  clientId: string;
  /** Metadata as the client sent it. */
  request: ClientMetadata;
  /** The draft client as it stands, after the built-in rules and earlier scripts. */
  client: ClientMetadata;
  /** Metadata as stored before this request (update, read, delete). */
  stored?: ClientMetadata;
  /** The client certificate, when one was presented. */
  certificate?: ClientCertificate;
  /** The verified software statement (header and claims), when the request carried one. */
  softwareStatement?: { header: Record<string, unknown>; claims: Record<string, unknown> };
  /** The verified signed request (application/jwt), when the request was one. */
  signedRequest?: { header: Record<string, unknown>; claims: Record<string, unknown> };
  /** This script's name. */
  script: string;
  /** This script's configuration properties (`properties` in its settings file). */
  properties: Properties;
}

type Maybe<T> = T | Promise<T>;
export type ClientResponse = Record<string, unknown>;

/** false refuses (400 invalid_client_metadata); true / nothing accepts (with context.client as modified); an object is merged into the client. */
export type CreateClient<P = Record<string, unknown>> = (context: HookContext<P>) => Maybe<boolean | void | ClientMetadata>;
export type UpdateClient<P = Record<string, unknown>> = CreateClient<P>;
/** false refuses (403 access_denied). */
export type DeleteClient<P = Record<string, unknown>> = (context: HookContext<P>) => Maybe<boolean | void>;
export type ModifyScopes<P = Record<string, unknown>> = (scopes: string[], context: HookContext<P>) => Maybe<string[]>;
export type ManageClaims<P = Record<string, unknown>> = (claims: string[], context: HookContext<P>) => Maybe<string[]>;
/** The body to send; true sends `response` as modified in place; false sends it unmodified. */
export type ModifyResponse<P = Record<string, unknown>> = (response: ClientResponse, context: HookContext<P>) => Maybe<boolean | ClientResponse>;
/** true accepts; false refuses (400 invalid_client_metadata). Every script exporting it must accept. */
export type IsCertValidForClient<P = Record<string, unknown>> = (certificate: ClientCertificate, context: HookContext<P>) => Maybe<boolean>;
export type Init<P = Record<string, unknown>> = (properties: P) => Maybe<void>;

/** What a key hook is told: the (not yet verified) JWT's header and claims. */
export interface KeyHookContext<P = Record<string, unknown>> {
  operation: 'create' | 'update';
  requestId: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** getDcrJwks / getDcrHmacSecret: the verified software statement inside the signed request. */
  softwareStatement?: { header: Record<string, unknown>; claims: Record<string, unknown> };
  script: string;
  properties: P;
}
/** getSoftwareStatementJwks / getDcrJwks: a JWKS (object or JSON string); nothing: no key from this script. */
export type GetJwks<P = Record<string, unknown>> = (context: KeyHookContext<P>) => Maybe<{ keys: unknown[] } | string | null | void>;
/** getSoftwareStatementHmacSecret / getDcrHmacSecret: the shared secret; nothing: none from this script. */
export type GetHmacSecret<P = Record<string, unknown>> = (context: KeyHookContext<P>) => Maybe<string | null | void>;

/**
 * `export const match`: by hook name, a JSON Schema the hook's `context` must satisfy for the hook
 * to be called (a safe subset: type, const, enum, properties, required, additionalProperties,
 * items, contains, min/max Items/Length, minimum, maximum, not, anyOf, allOf, oneOf); or a
 * function of the script's properties returning them. The server checks it before the call; when
 * it does not hold, the hook is not called, as if the script did not export it.
 */
export type Match<P = Record<string, unknown>> = MatchDeclaration | ((properties: P) => MatchDeclaration);
export type MatchDeclaration = Partial<Record<MatchableHook, MatchCondition>>;
export type { MatchCondition, MatchableHook } from '../core/sandbox/match.ts';

export interface ClientFilter {
  software_id?: string;
  organisation?: string;
  redirect_host?: string;
}

export interface Host {
  log: {
    debug(message: string, fields?: Record<string, unknown>): Promise<void>;
    info(message: string, fields?: Record<string, unknown>): Promise<void>;
    warn(message: string, fields?: Record<string, unknown>): Promise<void>;
    error(message: string, fields?: Record<string, unknown>): Promise<void>;
  };
  http: { getJson(url: string): Promise<unknown> };
  cache: {
    get(key: string): Promise<unknown>;
    set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
    delete(key: string): Promise<void>;
  };
  jwks: { get(url: string): Promise<{ keys: Array<Record<string, unknown>> }> };
  directory: {
    validateChain(certificatePem: string, intermediatesPem?: string): Promise<{ valid: boolean; reason?: string; anchor?: string }>;
    status(orgId: string, softwareId: string): Promise<{ status?: string; [member: string]: unknown }>;
  };
  clients: {
    count(filter: ClientFilter): Promise<number>;
    find(filter: ClientFilter, limit?: number): Promise<Array<ClientMetadata & { client_id: string; client_id_issued_at: number }>>;
  };
}

declare global {
  /** Host capabilities; only the plugins granted in the script's settings are present. */
  const host: Host;
  /** Throw one to refuse with a specific RFC error code and description. */
  class RegistrationError extends Error {
    constructor(code: RejectionCode, description: string);
    readonly code: RejectionCode;
    readonly description: string;
  }
}
