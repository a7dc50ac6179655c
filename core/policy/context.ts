// What a hook is told. The registration pipeline builds one HookContext per request step
// (hookContext below); the script host adds the script's own name and properties.
import type { ClientCertificate } from '../certificate/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';

export type Operation = 'create' | 'update' | 'read' | 'delete';

export interface VerifiedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export interface HookContext {
  operation: Operation;
  requestId: string;
  /** The client's id (on create, the id it will get). */
  clientId: string;
  /** Metadata as the client sent it (known, language-tagged and custom members). */
  request: ClientMetadata;
  /** The draft client as it stands, after the built-in rules and earlier scripts. */
  client: ClientMetadata;
  /** Metadata as stored before this request (update, read, delete). */
  stored?: ClientMetadata | undefined;
  /** The client certificate, when one was presented (TLS socket or trusted proxy). */
  certificate?: ClientCertificate | undefined;
  /** The verified software statement (header and claims), when the request carried one. */
  softwareStatement?: VerifiedJwt | undefined;
  /** The verified signed request (application/jwt), when the request was one. */
  signedRequest?: VerifiedJwt | undefined;
}

/** What a key hook is told: the JWT's header and claims, not yet verified. */
export interface KeyHookContext {
  operation: Extract<Operation, 'create' | 'update'>;
  requestId: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** getDcrJwks / getDcrHmacSecret: the verified software statement inside the signed request. */
  softwareStatement?: VerifiedJwt | undefined;
}

/** What a script sees: the context plus its own name and configuration properties. */
export type ScriptContext<Context, Properties = Record<string, unknown>> = Context & { script: string; properties: Properties };

export type ClientResponse = Record<string, unknown>;

/** The context of a request about a stored client that sends no metadata (read, delete). */
export function storedClientContext(operation: Extract<Operation, 'read' | 'delete'>, requestId: string, clientId: string, stored: ClientMetadata): HookContext {
  return { operation, requestId, clientId, request: {}, client: stored, stored };
}
