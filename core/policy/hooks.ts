// The hook table: every decision point a script may export, declared once. It drives the script
// host (how several scripts' results combine, what a result must look like), the documentation's
// hook table and the generated types for script authors (scripts/registrar.d.ts).
import { Type, type TSchema } from '@sinclair/typebox';

/** How the results of several scripts exporting the hook make one decision (in priority order). */
export type Combine =
  /** Each script sees the previous one's client; an object is merged in, `true` keeps in-place changes, `false` refuses. */
  | 'client'
  /** Any script answering `false` refuses. */
  | 'veto'
  /** Each script's list replaces the previous one (duplicates dropped). */
  | 'list'
  /** Each script's object replaces the response, `true` keeps in-place changes, `false` drops this script's changes. */
  | 'response'
  /** Every script must answer `true`. */
  | 'every'
  /** The first non-empty answer wins; later scripts are not called. */
  | 'first'
  /** Called on the script's own version only (load and unload). */
  | 'lifecycle';

/** What a refusal by `false` becomes (a script may also throw RegistrationError with its own code). */
export interface Refusal {
  code: RejectionCode;
  status: number;
  description: string;
}

export interface HookDeclaration {
  /** When the registration flow calls it. */
  when: string;
  /** The value the hook works on, passed before the context: its name and TypeScript type. */
  input?: { name: string; type: string };
  /** What the hook is told (the script's name and properties are added). */
  context: 'HookContext' | 'KeyHookContext' | 'ServerClientContext' | 'none';
  /** Shape the result must have; anything else fails the call (bad_output). */
  result: TSchema;
  combine: Combine;
  /** What the answer means. */
  answers: string;
  refusal?: Refusal;
}

/** Marks a schema with the TypeScript type script authors see for it. */
const named = (name: string) => Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-ts': name });
const nothing = Type.Null({ 'x-ts': 'null | void' });
const SCOPES = Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), { maxItems: 1000 });
const CLAIMS = Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 });
const JWKS = Type.Union([nothing, Type.String(), Type.Unsafe<{ keys: unknown[] }>({ type: 'object', required: ['keys'], 'x-ts': '{ keys: unknown[] }' })]);
const SECRET = Type.Union([nothing, Type.String()]);

const clientHook = (when: string): HookDeclaration & { combine: 'client' } => ({
  when,
  context: 'HookContext',
  result: Type.Union([nothing, Type.Boolean(), named('ClientMetadata')]),
  combine: 'client',
  answers: '`false` refuses; `true` or nothing accepts (with `context.client` as changed in place); an object is merged into the client.',
  refusal: { code: 'invalid_client_metadata', status: 400, description: 'the registration was refused by policy' },
});

const responseHook = (when: string): HookDeclaration & { combine: 'response' } => ({
  when,
  input: { name: 'response', type: 'ClientResponse' },
  context: 'HookContext',
  result: Type.Union([Type.Boolean(), named('ClientResponse')]),
  combine: 'response',
  answers: 'The body to send; `true` sends `response` as changed in place; `false` sends it unchanged.',
});

const keyHook = (when: string, result: TSchema, what: string): HookDeclaration & { combine: 'first' } => ({
  when,
  context: 'KeyHookContext',
  result,
  combine: 'first',
  answers: `${what}; nothing: no key from this script.`,
});

export const HOOKS = {
  createClient: clientHook('POST, after the built-in rules and the certificate check'),
  updateClient: clientHook('PUT, after the built-in rules and the certificate check'),
  deleteClient: {
    when: 'DELETE, before the client is removed',
    context: 'HookContext',
    result: Type.Union([nothing, Type.Boolean()]),
    combine: 'veto',
    answers: '`false` refuses; `true` or nothing allows.',
    refusal: { code: 'access_denied', status: 403, description: 'the deletion was refused by policy' },
  },
  modifyScopes: {
    when: 'POST and PUT, after createClient / updateClient',
    input: { name: 'scopes', type: 'string[]' },
    context: 'HookContext',
    result: SCOPES,
    combine: 'list',
    answers: 'The final scope list.',
  },
  manageClaims: {
    when: 'POST and PUT, after modifyScopes',
    input: { name: 'claims', type: 'string[]' },
    context: 'HookContext',
    result: CLAIMS,
    combine: 'list',
    answers: 'The final claims list.',
  },
  isCertValidForClient: {
    when: 'POST and PUT with a client certificate, before createClient / updateClient',
    input: { name: 'certificate', type: 'ClientCertificate' },
    context: 'HookContext',
    result: Type.Boolean(),
    combine: 'every',
    answers: '`true` accepts; anything else refuses.',
    refusal: { code: 'invalid_client_metadata', status: 400, description: 'the client certificate was refused by policy' },
  },
  modifyPostResponse: responseHook('POST, before the client is stored and the 201 is sent'),
  modifyPutResponse: responseHook('PUT, before the update is stored and the 200 is sent'),
  modifyReadResponse: responseHook('GET, before the 200 is sent'),
  modifyAuthorizationServerClient: {
    when: 'with an authorization server connected, before a client is created or changed there (registration, update, administration, reconciler)',
    input: { name: 'serverClient', type: 'Record<string, unknown>' },
    context: 'ServerClientContext',
    result: Type.Union([Type.Boolean(), Type.Record(Type.String(), Type.Unknown())]),
    combine: 'response',
    answers: "The server's representation to send (Hydra's OAuth2Client, Keycloak's ClientRepresentation; the secret withheld); `true` sends `serverClient` as changed in place; `false` sends it unchanged.",
  },
  getSoftwareStatementJwks: keyHook('a software statement signed with an asymmetric key, softwareStatementValidationType `script`', JWKS, 'A JWKS (object or JSON string)'),
  getSoftwareStatementHmacSecret: keyHook('a software statement signed with HMAC, softwareStatementValidationType `script`', SECRET, 'The shared secret'),
  getDcrJwks: keyHook('a signed request no configured key verifies (asymmetric)', JWKS, 'A JWKS (object or JSON string)'),
  getDcrHmacSecret: keyHook('a signed request no configured key verifies (HMAC)', SECRET, 'The shared secret'),
  init: {
    when: 'once, when the version is loaded, before it serves; a failure keeps the last good version',
    input: { name: 'properties', type: 'P' },
    context: 'none',
    result: Type.Unknown(),
    combine: 'lifecycle',
    answers: 'Nothing.',
  },
  destroy: {
    when: 'once, when the version is unloaded (replaced, removed, disabled, server stopping)',
    input: { name: 'properties', type: 'P' },
    context: 'none',
    result: Type.Unknown(),
    combine: 'lifecycle',
    answers: 'Nothing.',
  },
} as const satisfies Record<string, HookDeclaration>;

export type HookName = keyof typeof HOOKS;
export const HOOK_NAMES = Object.keys(HOOKS) as HookName[];
export const declarationOf = (hook: HookName): HookDeclaration => HOOKS[hook];

type HooksWhere<C extends Combine> = { [H in HookName]: (typeof HOOKS)[H]['combine'] extends C ? H : never }[HookName];
export type ResponseHook = HooksWhere<'response'>;
export type KeyHook = HooksWhere<'first'>;
export type ListHook = HooksWhere<'list'>;
export type ClientHook = HooksWhere<'client'>;

/** Error codes a script may refuse with (RegistrationError), and the HTTP status each gets. */
export const REJECTION_CODES = {
  invalid_client_metadata: 400,
  invalid_redirect_uri: 400,
  invalid_software_statement: 400,
  unapproved_software_statement: 400,
  invalid_request: 400,
  access_denied: 403,
} as const;
export type RejectionCode = keyof typeof REJECTION_CODES;
export const isRejectionCode = (code: string): code is RejectionCode => Object.hasOwn(REJECTION_CODES, code);
