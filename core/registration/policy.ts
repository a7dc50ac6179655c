// The decision points of the registration flow (DESIGN.md, "Decision points"). The registration
// pipeline calls these at fixed steps; the script host (core/sandbox) implements them with the
// loaded interception scripts. With no script exporting a hook, that decision keeps the draft
// as the built-in rules made it (Janssen's behaviour with no registration script enabled).
import type { ClientCertificate } from '../certificate/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';
import type { ScriptDecision } from '../store/index.ts';

export type Operation = 'create' | 'update' | 'read' | 'delete';

export interface HookContext {
  operation: Operation;
  requestId: string;
  /** client_id of the client being updated, read or deleted (and, on create, the id it will get). */
  clientId: string | undefined;
  /** Client metadata as the client sent it (known, language-tagged and custom members). */
  request: ClientMetadata;
  /** The draft client: validated metadata with defaults, as it would be stored now. */
  client: ClientMetadata;
  /** Metadata as stored before this request (update, read, delete). */
  stored: ClientMetadata | undefined;
  /** The policy appends what each script call decided (host side only; scripts never see it). */
  trace: ScriptDecision[];
  /** Dry runs: only this script's hooks run (host side only). */
  onlyScript?: string | undefined;
  /** The client certificate presented with the request (TLS socket or trusted proxy). */
  certificate?: ClientCertificate | undefined;
  /** The verified software statement, when the request carried one. */
  softwareStatement?: VerifiedJwt | undefined;
  /** The verified signed request (application/jwt), when the request was one. */
  signedRequest?: VerifiedJwt | undefined;
}

export interface VerifiedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export type KeyHook = 'getSoftwareStatementJwks' | 'getSoftwareStatementHmacSecret' | 'getDcrJwks' | 'getDcrHmacSecret';

/** What a key resolver hook is told: the JWT's header and claims (not yet verified). */
export interface KeyHookContext {
  operation: Operation;
  requestId: string;
  trace: ScriptDecision[];
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** For getDcr*: the verified software statement inside the signed request, if any. */
  softwareStatement?: VerifiedJwt | undefined;
}

export type ClientResponse = Record<string, unknown>;

export interface RegistrationPolicy {
  /** POST: the client metadata policy wants instead of the draft, or undefined to keep it. Refusal throws an OAuthError. */
  createClient(context: HookContext): Promise<ClientMetadata | undefined>;
  /** PUT: same as createClient. */
  updateClient(context: HookContext): Promise<ClientMetadata | undefined>;
  /** DELETE: resolves to allow, throws an OAuthError to refuse. */
  deleteClient(context: HookContext): Promise<void>;
  /** POST/PUT: the final scope list. */
  modifyScopes(scopes: string[], context: HookContext): Promise<string[]>;
  /** POST/PUT: the final claims list. */
  manageClaims(claims: string[], context: HookContext): Promise<string[]>;
  modifyPostResponse(response: ClientResponse, context: HookContext): Promise<ClientResponse>;
  modifyPutResponse(response: ClientResponse, context: HookContext): Promise<ClientResponse>;
  modifyReadResponse(response: ClientResponse, context: HookContext): Promise<ClientResponse>;
  /** Every script exporting isCertValidForClient must accept the certificate; refusal throws an OAuthError. */
  isCertValidForClient(certificate: ClientCertificate, context: HookContext): Promise<void>;
  /** Key resolvers: the first script with a non-empty answer (a JWKS object or string, or a secret) wins. */
  resolveKey(hook: KeyHook, context: KeyHookContext): Promise<unknown>;
}
