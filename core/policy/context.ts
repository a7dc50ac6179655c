// What a hook is told, declared once: the schemas type the registration flow and generate the
// types script authors see. The registration flow builds one HookContext per step; the script
// host adds the script's own name and properties.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ClientCertificateSchema } from '../certificate/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';

/** A schema that stands for a type declared elsewhere (named in the generated types). */
const named = <T>(name: string, description?: string) => Type.Unsafe<T>({ type: 'object', 'x-ts': name, ...(description ? { description } : {}) });
const Claims = Type.Record(Type.String(), Type.Unknown());

export const OperationSchema = Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('read'), Type.Literal('delete')]);
export type Operation = Static<typeof OperationSchema>;

export const VerifiedJwtSchema = Type.Object({ header: Claims, claims: Claims }, { 'x-ts': 'VerifiedJwt', description: 'A verified JWT: its header and claims.' });
export type VerifiedJwt = Static<typeof VerifiedJwtSchema>;

export const HookContextSchema = Type.Object(
  {
    operation: OperationSchema,
    requestId: Type.String(),
    clientId: Type.String({ description: "The client's id (on create, the id it will get)." }),
    request: named<ClientMetadata>('ClientMetadata', 'Metadata as the client sent it (known, language-tagged and custom members).'),
    client: named<ClientMetadata>('ClientMetadata', 'The draft client as it stands, after the built-in rules and earlier scripts.'),
    stored: Type.Optional(named<ClientMetadata>('ClientMetadata', 'Metadata as stored before this request (update, read, delete).')),
    certificate: Type.Optional(Type.Unsafe<Static<typeof ClientCertificateSchema>>({ ...ClientCertificateSchema, description: 'The client certificate, when one was presented.' })),
    softwareStatement: Type.Optional(Type.Unsafe<VerifiedJwt>({ ...VerifiedJwtSchema, description: 'The verified software statement, when the request carried one.' })),
    signedRequest: Type.Optional(Type.Unsafe<VerifiedJwt>({ ...VerifiedJwtSchema, description: 'The verified signed request (application/jwt), when the request was one.' })),
    initialAccessToken: Type.Optional(
      Type.Object(
        { id: Type.String(), label: Type.Union([Type.String(), Type.Null()]), claims: Type.Record(Type.String(), Type.Unknown()) },
        { description: 'The initial access token the registration presented (RFC 7591 §3): its id, label and claims.' },
      ),
    ),
    metadataDocument: Type.Optional(
      Type.Object(
        { url: Type.String(), fetchedAt: Type.Integer({ description: 'Milliseconds since the epoch.' }) },
        { description: 'The client ID metadata document this client comes from (its client_id is the URL): set when the operation is a metadata document, not a registration request.' },
      ),
    ),
  },
  { 'x-ts': 'HookContext', description: 'What createClient, updateClient, deleteClient, the list, certificate and response hooks are told.' },
);
export type HookContext = Static<typeof HookContextSchema>;

export const KeyHookContextSchema = Type.Object(
  {
    operation: Type.Union([Type.Literal('create'), Type.Literal('update')]),
    requestId: Type.String(),
    header: Type.Record(Type.String(), Type.Unknown(), { description: "The JWT's header, not yet verified." }),
    claims: Type.Record(Type.String(), Type.Unknown(), { description: "The JWT's claims, not yet verified." }),
    softwareStatement: Type.Optional(Type.Unsafe<VerifiedJwt>({ ...VerifiedJwtSchema, description: 'getDcrJwks / getDcrHmacSecret: the verified software statement inside the signed request.' })),
  },
  { 'x-ts': 'KeyHookContext', description: 'What a key hook is told: the JWT whose key is sought.' },
);
export type KeyHookContext = Static<typeof KeyHookContextSchema>;

export const ServerClientContextSchema = Type.Object(
  {
    operation: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('admin'), Type.Literal('sync')], {
      description: '`create` / `update`: a registration or an RFC 7592 update; `admin`: an administrator enabled, disabled or rotated the client; `sync`: the reconciler.',
    }),
    requestId: Type.String(),
    clientId: Type.String(),
    client: named<ClientMetadata>('ClientMetadata', 'The client as Registrar stores it.'),
    authorizationServer: Type.Union([Type.Literal('hydra'), Type.Literal('keycloak')], { description: 'Which kind of server the representation is for.' }),
  },
  { 'x-ts': 'ServerClientContext', description: 'What modifyAuthorizationServerClient is told.' },
);
export type ServerClientContext = Static<typeof ServerClientContextSchema>;

/** The shapes the generated script types declare by name, in the order they are written. */
export const CONTEXT_SCHEMAS: ReadonlyArray<TSchema> = [VerifiedJwtSchema, HookContextSchema, KeyHookContextSchema, ServerClientContextSchema];

export type ClientResponse = Record<string, unknown>;

/** The context of a request about a stored client that sends no metadata (read, delete). */
export function storedClientContext(operation: Extract<Operation, 'read' | 'delete'>, requestId: string, clientId: string, stored: ClientMetadata): HookContext {
  return { operation, requestId, clientId, request: {}, client: stored, stored };
}
