// The policy contract between the registration flow and whatever decides (the script host):
// the hook table, what each hook is told, and the port the flow asks through.
export { HOOKS, HOOK_NAMES, REJECTION_CODES, declarationOf, isRejectionCode } from './hooks.ts';
export type { ClientHook, Combine, HookDeclaration, HookName, KeyHook, ListHook, Refusal, RejectionCode, ResponseHook } from './hooks.ts';
export { storedClientContext } from './context.ts';
export type { ClientResponse, HookContext, KeyHookContext, Operation, ServerClientContext, VerifiedJwt } from './context.ts';
export type { KeyResolver, PolicyEngine, RequestPolicy, RequestScope, ScriptDecision } from './port.ts';
