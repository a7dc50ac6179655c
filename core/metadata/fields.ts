// Every client metadata member the server understands, declared once. The JSON Schema types
// are checked by Ajv; the `x-*` annotations are read by the rule engine (rules.ts):
//   x-uri:        UriKind below
//   x-i18n:       member may be sent language-tagged, e.g. client_name#fr (OIDC DCR §2.1)
//   x-supported:  configuration property listing the values the server accepts
//   x-signing:    a signing algorithm member (`none` refused when rejectJwtWithNoneAlg)
//   x-encryption: 'alg' or 'enc' half of an encryption pair (*_alg / *_enc)
//   x-origin:     'server' for members only the server (or policy) sets; clients cannot
//   x-request:    member used by the request only, never stored
// Sources: RFC 7591 §2, OpenID Connect DCR 1.0 §2, RFC 8705 §2.1.2, RFC 9449, RFC 9126,
// OIDC Front/Back-Channel Logout, RP-Initiated Logout, CIBA, JARM, and Janssen's client fields.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ServerConfig } from '../config/index.ts';

type Supported = keyof ServerConfig;
/**
 * web: http(s); https: https only; fetched: dereferenced by this server or the authorization
 * server (https unless outboundAllowHttp, a public address unless outboundAllowPrivateAddresses);
 * redirect: per application_type.
 */
export type UriKind = 'web' | 'https' | 'fetched' | 'redirect';

const str = (description: string, extra: Record<string, unknown> = {}) => Type.String({ description, ...extra });
const strings = (description: string, extra: Record<string, unknown> = {}) =>
  Type.Array(Type.String(), { description, ...extra });
const uri = (kind: UriKind, description: string, extra: Record<string, unknown> = {}) =>
  Type.String({ description, 'x-uri': kind, ...extra });
const uris = (kind: UriKind, description: string) =>
  Type.Array(Type.String(), { description, 'x-uri': kind });
const bool = (description: string, extra: Record<string, unknown> = {}) => Type.Boolean({ description, ...extra });
const supported = (property: Supported, description: string, extra: Record<string, unknown> = {}) =>
  Type.String({ description, 'x-supported': property, ...extra });
const signingAlg = (property: Supported, description: string) => supported(property, description, { 'x-signing': true });
const encryption = (half: 'alg' | 'enc', property: Supported, description: string) =>
  supported(property, description, { 'x-encryption': half });

export const ClientMetadataSchema = Type.Partial(Type.Object(
  {
    // RFC 7591 §2
    redirect_uris: uris('redirect', 'Redirection URIs for redirect-based flows.'),
    token_endpoint_auth_method: supported('tokenEndpointAuthMethodsSupported', 'How the client authenticates at the token endpoint.'),
    grant_types: strings('Grant types the client will use.'),
    response_types: strings('Response types the client will use.'),
    client_name: str('Human-readable client name.', { 'x-i18n': true }),
    client_uri: uri('web', 'Home page of the client.', { 'x-i18n': true }),
    logo_uri: uri('web', 'Logo of the client.', { 'x-i18n': true }),
    scope: str('Space-separated scopes the client may request.'),
    contacts: strings('Ways to contact the people responsible for the client.'),
    tos_uri: uri('web', 'Terms of service.', { 'x-i18n': true }),
    policy_uri: uri('web', 'Privacy policy.', { 'x-i18n': true }),
    jwks_uri: uri('fetched', "URL of the client's JSON Web Key Set."),
    jwks: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }, { description: "The client's JSON Web Key Set, by value." }),
    software_id: str('Identifier of the client software, stable across instances.'),
    software_version: str('Version of the client software.'),
    software_statement: str('Signed JWT asserting client metadata (RFC 7591 §2.3).'),

    // OpenID Connect Dynamic Client Registration 1.0 §2
    application_type: Type.Union([Type.Literal('web'), Type.Literal('native')], { description: '`web` or `native`.' }),
    sector_identifier_uri: uri('fetched', 'JSON array of redirect URIs that share a pairwise sector.'),
    subject_type: supported('subjectTypesSupported', '`public` or `pairwise` subject identifiers.'),
    id_token_signed_response_alg: signingAlg('idTokenSigningAlgValuesSupported', 'Signing algorithm of ID tokens.'),
    id_token_encrypted_response_alg: encryption('alg', 'idTokenEncryptionAlgValuesSupported', 'Key management algorithm for ID token encryption.'),
    id_token_encrypted_response_enc: encryption('enc', 'idTokenEncryptionEncValuesSupported', 'Content encryption of ID tokens.'),
    userinfo_signed_response_alg: signingAlg('userInfoSigningAlgValuesSupported', 'Signing algorithm of UserInfo responses.'),
    userinfo_encrypted_response_alg: encryption('alg', 'userInfoEncryptionAlgValuesSupported', 'Key management algorithm for UserInfo encryption.'),
    userinfo_encrypted_response_enc: encryption('enc', 'userInfoEncryptionEncValuesSupported', 'Content encryption of UserInfo responses.'),
    request_object_signing_alg: signingAlg('requestObjectSigningAlgValuesSupported', 'Signing algorithm of request objects.'),
    request_object_encryption_alg: encryption('alg', 'requestObjectEncryptionAlgValuesSupported', 'Key management algorithm for request object encryption.'),
    request_object_encryption_enc: encryption('enc', 'requestObjectEncryptionEncValuesSupported', 'Content encryption of request objects.'),
    token_endpoint_auth_signing_alg: signingAlg('tokenEndpointAuthSigningAlgValuesSupported', 'Signing algorithm of client authentication JWTs.'),
    default_max_age: Type.Integer({ minimum: 0, description: 'Default maximum authentication age, in seconds.' }),
    require_auth_time: bool('Whether auth_time is required in ID tokens.'),
    default_acr_values: strings('Default ACR values.'),
    initiate_login_uri: uri('https', 'Third-party initiated login URI.'),
    request_uris: uris('fetched', 'Pre-registered request_uri values.'),

    // Logout (RP-Initiated, Front-Channel, Back-Channel)
    post_logout_redirect_uris: uris('redirect', 'Where the client may be sent after logout.'),
    frontchannel_logout_uri: uri('web', 'Front-channel logout URI.'),
    frontchannel_logout_session_required: bool('Whether iss and sid are sent to the front-channel logout URI.'),
    backchannel_logout_uri: uri('fetched', 'Back-channel logout URI.'),
    backchannel_logout_session_required: bool('Whether the sid claim is included in logout tokens.'),

    // RFC 8705 (mTLS), RFC 9449 (DPoP), RFC 9126 (PAR)
    tls_client_auth_subject_dn: str('Expected subject DN of the client certificate (tls_client_auth).'),
    tls_client_auth_san_dns: str('Expected dNSName SAN of the client certificate.'),
    tls_client_auth_san_uri: str('Expected uniformResourceIdentifier SAN of the client certificate.'),
    tls_client_auth_san_ip: str('Expected iPAddress SAN of the client certificate.'),
    tls_client_auth_san_email: str('Expected rfc822Name SAN of the client certificate.'),
    tls_client_certificate_bound_access_tokens: bool('Whether access tokens are bound to the client certificate.'),
    dpop_bound_access_tokens: bool('Whether access tokens must be DPoP-bound.'),
    require_pushed_authorization_requests: bool('Whether authorization requests must be pushed (PAR).'),

    // CIBA
    backchannel_token_delivery_mode: supported('backchannelTokenDeliveryModesSupported', 'CIBA token delivery mode: poll, ping or push.'),
    backchannel_client_notification_endpoint: uri('fetched', 'CIBA client notification endpoint (ping and push modes).'),
    backchannel_authentication_request_signing_alg: signingAlg('backchannelAuthenticationRequestSigningAlgValuesSupported', 'Signing algorithm of CIBA authentication requests.'),
    backchannel_user_code_parameter: bool('Whether the client supports the CIBA user_code parameter.'),

    // JARM
    authorization_signed_response_alg: signingAlg('authorizationSigningAlgValuesSupported', 'Signing algorithm of JARM responses.'),
    authorization_encrypted_response_alg: encryption('alg', 'authorizationEncryptionAlgValuesSupported', 'Key management algorithm for JARM encryption.'),
    authorization_encrypted_response_enc: encryption('enc', 'authorizationEncryptionEncValuesSupported', 'Content encryption of JARM responses.'),

    // Janssen client fields that travel on the wire
    claims_redirect_uri: uris('web', 'UMA claims gathering redirect URIs (Janssen).'),
    claims: strings('Claims the client asks for (Janssen); a space-separated string is accepted too.'),
    access_token_as_jwt: bool('Issue access tokens as JWTs (Janssen).'),
    access_token_signing_alg: supported('accessTokenSigningAlgValuesSupported', 'Signing algorithm of JWT access tokens (Janssen).', { 'x-signing': true }),
    access_token_lifetime: Type.Integer({ minimum: 1, description: 'Access token lifetime in seconds (Janssen).' }),
    rpt_as_jwt: bool('Issue UMA RPTs as JWTs (Janssen).'),
    authorized_origins: uris('web', 'Origins allowed for browser requests (Janssen).'),
    allow_spontaneous_scopes: bool('Allow spontaneous scopes (Janssen).'),
    spontaneous_scopes: strings('Spontaneous scope patterns (Janssen).'),
    run_introspection_script_before_jwt_creation: bool('Run the introspection script before creating JWT access tokens (Janssen).'),
    keep_client_authorization_after_expiration: bool('Keep user consent after the client expires (Janssen).'),
    additional_audience: strings('Additional audiences of access tokens (Janssen).'),
    par_lifetime: Type.Integer({ minimum: 1, description: 'Lifetime of pushed authorization requests, in seconds (Janssen).' }),
    require_par: bool('Require pushed authorization requests (Janssen).'),
    default_prompt_login: bool('Always prompt for login (Janssen).'),
    id_token_token_binding_cnf: str('Token binding confirmation method for ID tokens (Janssen).'),

    // Set by the server and policy, never by the client
    trusted_client: bool('Consent is skipped for this client (set by policy when trustedClientEnabled).', { 'x-origin': 'server' }),
    persist_client_authorizations: bool('User consent is remembered (dynamicRegistrationPersistClientAuthorizations).', { 'x-origin': 'server' }),
    client_status: Type.Union([Type.Literal('pending'), Type.Literal('active')], {
      description: '`pending` while the registration waits for an administrator (registrationApprovalRequired, or set by policy), `active` once approved.',
      'x-origin': 'server',
    }),

    // Request only
    lifetime: Type.Integer({ minimum: 1, maximum: 315_360_000, description: 'Requested client lifetime in seconds (Janssen; at most ten years); see dcrForbidExpirationTimeInRequest.', 'x-request': true }),
  },
  { additionalProperties: true, description: 'Client metadata (RFC 7591, OpenID Connect DCR 1.0 and extensions). Which members are required depends on the others (e.g. redirect_uris for redirect-based grants).' },
));

export type KnownClientMetadata = Static<typeof ClientMetadataSchema>;
/** Known members plus language-tagged (`client_name#fr`) and configured custom members. */
export type ClientMetadata = Partial<KnownClientMetadata> & Record<string, unknown>;

export const FIELDS: ReadonlyMap<string, TSchema> = new Map(Object.entries(ClientMetadataSchema.properties));

export const fieldsWhere = (annotation: string): string[] =>
  [...FIELDS].filter(([, schema]) => schema[annotation] !== undefined).map(([name]) => name);

/** Members the client may send. */
export const CLIENT_SETTABLE: ReadonlySet<string> = new Set([...FIELDS].filter(([, s]) => s['x-origin'] !== 'server').map(([n]) => n));
/** Members that may carry a language tag. */
export const LANGUAGE_TAGGABLE: ReadonlySet<string> = new Set(fieldsWhere('x-i18n'));
/** Members of the request only, never stored or echoed (lifetime). */
export const REQUEST_ONLY: ReadonlySet<string> = new Set(fieldsWhere('x-request'));
