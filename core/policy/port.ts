// The policy port: how the registration flow asks for decisions. The engine (the script host)
// hands out one RequestPolicy per request; it records what each script call decided, for the
// decision log. With no script exporting a hook, that decision keeps the draft as the built-in
// rules made it (Janssen's behaviour with no registration script enabled).
import type { ClientCertificate } from '../certificate/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';
import type { ClientResponse, HookContext, KeyHookContext, ServerClientContext } from './context.ts';
import type { ScriptDecision } from '../store/index.ts';
import type { ClientHook, KeyHook, ListHook, ResponseHook } from './hooks.ts';

export type { ScriptDecision };

/** Trust code (software statements, signed requests) asks for keys through this, and nothing else. */
export type KeyResolver = (hook: KeyHook, context: KeyHookContext) => Promise<unknown>;

export interface RequestPolicy {
  /** What each script call of this request decided, in order. */
  readonly decisions: ScriptDecision[];
  /** POST / PUT: the client metadata policy wants instead of the draft, or undefined to keep it. Refusal throws an OAuthError. */
  decideClient(hook: ClientHook, context: HookContext): Promise<ClientMetadata | undefined>;
  /** DELETE: resolves to allow, throws an OAuthError to refuse. */
  deleteClient(context: HookContext): Promise<void>;
  /** POST / PUT: the final scope or claims list. */
  decideList(hook: ListHook, list: string[], context: HookContext): Promise<string[]>;
  /** The response body to send. */
  modifyResponse(hook: ResponseHook, response: ClientResponse, context: HookContext): Promise<ClientResponse>;
  /** The authorization server's representation of the client to send (modifyAuthorizationServerClient). */
  modifyServerClient(serverClient: Record<string, unknown>, context: ServerClientContext): Promise<Record<string, unknown>>;
  /** Every script exporting isCertValidForClient must accept; refusal throws an OAuthError. */
  isCertValidForClient(certificate: ClientCertificate, context: HookContext): Promise<void>;
  /** Key resolvers: the first script with a non-empty answer (a JWKS object or string, or a secret) wins. */
  resolveKey: KeyResolver;
}

export interface RequestScope {
  requestId: string;
  /** Only this script's hooks run (dry runs). */
  onlyScript?: string | undefined;
}

export interface PolicyEngine {
  forRequest(scope: RequestScope): RequestPolicy;
}
