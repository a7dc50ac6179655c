// Server configuration properties, named as in the Janssen auth server's configuration.
// This object is the single declaration of every property: its type, default and meaning.
// It drives validation (core/config/configuration.ts), discovery, and docs/configuration.md
// (`npm run docs`, checked by test/docs/docs.test.ts).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Marks a property whose change can open the server up (SECURITY_PROPERTIES). */
const security = <T extends TSchema>(schema: T): T => Object.assign(schema, { 'x-security': true });

/**
 * What a connected authorization server's discovery document means when it leaves a list out:
 * the values RFC 8414 / OpenID Connect Discovery give as its default, `unsupported` (none), or
 * `unknown` (Registrar's list is not narrowed).
 */
export type WhenAbsent = readonly string[] | 'unsupported' | 'unknown';

/**
 * A property published in discovery as `member`. A list that registration enforces says what a
 * connected server's document means without it (`whenAbsent`), so that discovery advertises, and
 * registration accepts, only what works at that server too; one without is never narrowed.
 */
const published = <T extends TSchema>(member: string, schema: T, whenAbsent?: WhenAbsent): T =>
  Object.assign(schema, { 'x-discovery': member, ...(whenAbsent === undefined ? {} : { 'x-absent': whenAbsent }) });

/** An endpoint URL of the authorization server, published in discovery when none is connected (a connected one's document gives its own). */
const endpoint = (member: string) =>
  published(member, Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()], { default: null, description: `${member} published in discovery when no authorization server is connected.` }));

const list = (defaults: string[], description: string) =>
  Type.Array(Type.String({ minLength: 1 }), { default: defaults, description, uniqueItems: true });

const SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512'];
const ASYMMETRIC_SIGNING_ALGS = SIGNING_ALGS.filter((alg) => !alg.startsWith('HS'));
const ENCRYPTION_ALGS = ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW', 'A128KW', 'A192KW', 'A256KW', 'dir'];
const ENCRYPTION_ENCS = ['A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512', 'A128GCM', 'A192GCM', 'A256GCM'];

/** Every grant type the server knows: by default both supported and open to dynamic registration. */
const GRANT_TYPES = [
  'authorization_code',
  'implicit',
  'refresh_token',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:openid:params:grant-type:ciba',
];

export const ServerProperties = Type.Object(
  {
    // --- what the authorization server supports (published in discovery, enforced at registration)
    responseTypesSupported: published('response_types_supported', list(
      ['code', 'id_token', 'token', 'code id_token', 'code token', 'id_token token', 'code id_token token'],
      'Response types a client may register (word order within a value does not matter).',
    ), 'unknown'),
    grantTypesSupported: published('grant_types_supported', list(
      GRANT_TYPES,
      'Grant types the authorization server supports (published in discovery).',
    ), ['authorization_code', 'implicit']),
    grantTypesSupportedByDynamicRegistration: security(list(
      GRANT_TYPES,
      'Grant types a dynamically registered client may request; others are refused with invalid_client_metadata.',
    )),
    subjectTypesSupported: published('subject_types_supported', list(['public', 'pairwise'], 'Subject identifier types a client may register.'), 'unknown'),
    defaultSubjectType: Type.String({ default: 'public', description: 'subject_type given to a client that does not ask for one.' }),
    tokenEndpointAuthMethodsSupported: published('token_endpoint_auth_methods_supported', security(list(
      ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'],
      'Token endpoint authentication methods a client may register.',
    )), ['client_secret_basic']),
    tokenEndpointAuthSigningAlgValuesSupported: published('token_endpoint_auth_signing_alg_values_supported', list(SIGNING_ALGS, 'Algorithms allowed for token_endpoint_auth_signing_alg.'), 'unknown'),
    idTokenSigningAlgValuesSupported: published('id_token_signing_alg_values_supported', list(SIGNING_ALGS, 'Algorithms allowed for id_token_signed_response_alg.'), 'unknown'),
    idTokenEncryptionAlgValuesSupported: published('id_token_encryption_alg_values_supported', list(ENCRYPTION_ALGS, 'Algorithms allowed for id_token_encrypted_response_alg.'), 'unsupported'),
    idTokenEncryptionEncValuesSupported: published('id_token_encryption_enc_values_supported', list(ENCRYPTION_ENCS, 'Values allowed for id_token_encrypted_response_enc.'), 'unsupported'),
    userInfoSigningAlgValuesSupported: published('userinfo_signing_alg_values_supported', list(SIGNING_ALGS, 'Algorithms allowed for userinfo_signed_response_alg.'), 'unsupported'),
    userInfoEncryptionAlgValuesSupported: published('userinfo_encryption_alg_values_supported', list(ENCRYPTION_ALGS, 'Algorithms allowed for userinfo_encrypted_response_alg.'), 'unsupported'),
    userInfoEncryptionEncValuesSupported: published('userinfo_encryption_enc_values_supported', list(ENCRYPTION_ENCS, 'Values allowed for userinfo_encrypted_response_enc.'), 'unsupported'),
    requestObjectSigningAlgValuesSupported: published('request_object_signing_alg_values_supported', list(SIGNING_ALGS, 'Algorithms allowed for request_object_signing_alg.'), 'unknown'),
    requestObjectEncryptionAlgValuesSupported: published('request_object_encryption_alg_values_supported', list(ENCRYPTION_ALGS, 'Algorithms allowed for request_object_encryption_alg.'), 'unsupported'),
    requestObjectEncryptionEncValuesSupported: published('request_object_encryption_enc_values_supported', list(ENCRYPTION_ENCS, 'Values allowed for request_object_encryption_enc.'), 'unsupported'),
    authorizationSigningAlgValuesSupported: published('authorization_signing_alg_values_supported', list(SIGNING_ALGS, 'Algorithms allowed for authorization_signed_response_alg (JARM).'), 'unsupported'),
    authorizationEncryptionAlgValuesSupported: published('authorization_encryption_alg_values_supported', list(ENCRYPTION_ALGS, 'Algorithms allowed for authorization_encrypted_response_alg (JARM).'), 'unsupported'),
    authorizationEncryptionEncValuesSupported: published('authorization_encryption_enc_values_supported', list(ENCRYPTION_ENCS, 'Values allowed for authorization_encrypted_response_enc (JARM).'), 'unsupported'),
    accessTokenSigningAlgValuesSupported: list(ASYMMETRIC_SIGNING_ALGS, 'Algorithms allowed for access_token_signing_alg (JWT access tokens).'),
    backchannelTokenDeliveryModesSupported: published('backchannel_token_delivery_modes_supported', list(['poll', 'ping', 'push'], 'CIBA token delivery modes a client may register.'), 'unsupported'),
    backchannelAuthenticationRequestSigningAlgValuesSupported: published('backchannel_authentication_request_signing_alg_values_supported', list(
      ASYMMETRIC_SIGNING_ALGS,
      'Algorithms allowed for backchannel_authentication_request_signing_alg (CIBA).',
    ), 'unsupported'),
    defaultSignatureAlgorithm: Type.String({ default: 'RS256', description: 'id_token_signed_response_alg given to a client that does not ask for one.' }),
    scopesSupported: published('scopes_supported', list(
      ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
      'Scopes the server knows. Requested scopes outside this list are dropped from the registration.',
    ), 'unknown'),
    claimsSupported: published('claims_supported', list(
      [
        'sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
        'website', 'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number',
        'phone_number_verified', 'address', 'updated_at',
      ],
      'Claims the server knows. Requested claims (Janssen `claims` member) outside this list are dropped.',
    )),
    acrValuesSupported: published('acr_values_supported', list([], 'ACR values a client may list in default_acr_values; empty accepts any value.')),

    // --- dynamic registration behaviour
    dynamicRegistrationEnabled: security(Type.Boolean({ default: true, description: 'Serve the registration endpoint; when false, POST answers 403 access_denied.' })),
    dynamicRegistrationExpirationTime: Type.Integer({
      default: -1,
      minimum: -1,
      description: 'Lifetime in seconds of a dynamically registered client; 0 or -1: never expires. An expired client is gone.',
    }),
    dcrForbidExpirationTimeInRequest: Type.Boolean({
      default: false,
      description: 'Refuse the `lifetime` request member (seconds). When allowed, it is capped by dynamicRegistrationExpirationTime if that is set.',
    }),
    dynamicRegistrationScopesParamEnabled: Type.Boolean({
      default: true,
      description: 'Honour the `scope` request member (filtered by scopesSupported); when false the client gets dynamicRegistrationDefaultScopes.',
    }),
    dynamicRegistrationDefaultScopes: list(['openid'], 'Scopes given to a client that asks for none (or when the scope member is disabled).'),
    trustedClientEnabled: security(Type.Boolean({
      default: false,
      description: 'Allow clients to be marked trusted (consent skipped). Only policy (scripts) can mark a client trusted; a client never can itself.',
    })),
    dynamicRegistrationPersistClientAuthorizations: Type.Boolean({
      default: true,
      description: 'Value of persist_client_authorizations for dynamically registered clients (remember user consent).',
    }),
    grantTypesAndResponseTypesAutofixEnabled: Type.Boolean({
      default: false,
      description:
        'Add the grant types that the requested response types imply (e.g. implicit for `code id_token`) instead of refusing the mismatch.',
    }),
    dynamicRegistrationPasswordGrantTypeEnabled: security(Type.Boolean({
      default: false,
      description: 'Allow dynamically registered clients to use the `password` grant type.',
    })),
    dynamicRegistrationCustomAttributes: security(list(
      [],
      'Request members outside the standard metadata that are stored and echoed (string or string array values); other unknown members are dropped.',
    )),
    returnClientSecretOnRead: security(Type.Boolean({ default: false, description: 'Include client_secret in the RFC 7592 read (GET) response.' })),
    rotateClientRegistrationAccessTokenOnUsage: security(Type.Boolean({
      default: false,
      description: 'Issue a new registration access token on every read or update; the old one stops working.',
    })),
    rejectJwtWithNoneAlg: security(Type.Boolean({ default: true, description: 'Refuse `none` as a signing algorithm anywhere in client metadata (and for JWTs the server receives).' })),
    registrationRequestMaxBytes: security(Type.Integer({
      default: 65536,
      minimum: 1024,
      description: 'Largest registration request body accepted; larger bodies get 413.',
    })),

    configRefreshIntervalSeconds: Type.Integer({
      default: 2,
      minimum: 1,
      description:
        'How often an instance checks the store for configuration changed by another instance (the worker processes of one instance are told at once). A PATCH of the configuration with `?wait=N` answers once every process reports the new revision, or after N seconds.',
    }),
    fleetReportIntervalSeconds: Type.Integer({
      default: 10,
      minimum: 1,
      description:
        'How often each server process reports what it runs to the fleet view (GET /admin/fleet), besides at every change; a process silent for three intervals is shown as gone.',
    }),
    adminAccessTokenLifetimeSeconds: security(Type.Integer({ default: 300, minimum: 30, description: 'Lifetime of the administration API access tokens.' })),
    rateLimitRegistrationRequestCount: security(Type.Integer({
      default: 0,
      minimum: 0,
      description: 'Registration requests (POST) allowed per client address per period; 0: no limit. Counted per instance.',
    })),
    rateLimitRegistrationPeriodInSeconds: Type.Integer({ default: 60, minimum: 1, description: 'The period of rateLimitRegistrationRequestCount.' }),
    registrationCorsAllowedOrigins: security(list(
      [],
      'Origins allowed to call the registration endpoints from a browser (CORS); `*` for any. Empty: no CORS headers.',
    )),
    // --- open registration: who may register, how many, how long a client lives
    registrationInitialAccessTokenRequired: security(Type.Boolean({
      default: false,
      description:
        'POST /register needs `Authorization: Bearer <initial access token>` (RFC 7591 §3), issued through /admin/initial-access-tokens; without a valid one: 401 invalid_token. When false, a token that is presented is still checked and used.',
    })),
    registrationApprovalRequired: security(Type.Boolean({
      default: false,
      description:
        'Every registration waits for an administrator: stored with `client_status: pending`, readable with its token, not provisioned to the authorization server until approved. A script can queue a single registration by setting `client.client_status` to `pending`.',
    })),
    dynamicRegistrationMaxClients: security(Type.Integer({
      default: 0,
      minimum: 0,
      description: 'Most clients that registration may create (counted across every instance sharing the store, held even when registrations race); 0: no limit. A full cap answers 403 access_denied with `limit`.',
    })),
    dynamicRegistrationDuplicatePolicy: Type.Union([Type.Literal('allow'), Type.Literal('refuse'), Type.Literal('replace')], {
      default: 'allow',
      description:
        'A registration whose software_id is already registered within the same organisation (org_id), or else with the same initial access token: `allow`; `refuse` (400 invalid_client_metadata, the existing client not named); `replace` (the earlier clients are deleted once the new one exists, and only those with the same verified owner: the same initial access token, or a software statement from the same trusted issuer; a registration nobody vouches for replaces nothing, one waiting for approval replaces only once approved).',
    }),
    dynamicClientInactivityExpirationDays: Type.Integer({
      default: 0,
      minimum: 0,
      description:
        'A registered client not used for this many days is deleted (from the store and the connected authorization server). Used: an RFC 7592 call with its token, or a lookup by the node-oidc-provider adapter; recorded at most once an hour. 0: never.',
    }),

    // --- client ID metadata documents (draft-ietf-oauth-client-id-metadata-document)
    clientIdMetadataDocumentsEnabled: security(Type.Boolean({
      default: false,
      description:
        'A client_id that is an https URL is resolved by fetching the client\'s metadata document there (GET /cimd, the node-oidc-provider adapter); published in discovery as client_id_metadata_document_supported.',
    })),
    clientIdMetadataDocumentMaxBytes: Type.Integer({ default: 5120, minimum: 256, description: 'Largest metadata document accepted.' }),
    clientIdMetadataDocumentTimeoutMs: Type.Integer({ default: 3000, minimum: 100, description: 'Timeout of one metadata document fetch.' }),
    clientIdMetadataDocumentMinCacheSeconds: Type.Integer({ default: 3600, minimum: 0, description: 'Least time a fetched document is used before it is fetched again (its Cache-Control max-age is clamped to these bounds).' }),
    clientIdMetadataDocumentMaxCacheSeconds: Type.Integer({ default: 86400, minimum: 1, description: 'Most time a fetched document is used before it is fetched again.' }),
    clientIdMetadataDocumentMaxStaleSeconds: Type.Integer({
      default: 604800,
      minimum: 0,
      description: 'When refreshing a document fails, the last good version is used until this long after it was fetched; then the client is refused.',
    }),
    clientIdMetadataDocumentAllowQuery: Type.Boolean({ default: false, description: 'Accept client_id URLs with a query component (the draft discourages them).' }),
    clientIdMetadataDocumentRules: security(Type.Array(
      Type.Object(
        {
          match: Type.String({ minLength: 1, description: 'URL pattern: `*` matches within a path segment or host label, `**` matches anything.' }),
          metadata: Type.Record(Type.String(), Type.Unknown(), { description: 'Server-assigned metadata: list members (grant_types, response_types, scope) are intersected with the document, others replace it.' }),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description: 'Routing rules for metadata documents, first match wins; when any exist, a URL matching none is refused.',
      },
    )),

    decisionLogStoreRequests: Type.Boolean({
      default: true,
      description: 'Keep each registration request\'s members in its decision record (client_secret removed; at most 16 KiB), so that a candidate script can be replayed against it.',
    }),
    decisionLogRetentionDays: Type.Integer({
      default: 30,
      minimum: 1,
      description: 'Days a registration decision record (one per registration request) is kept in the store, judged at each purge (every minute) by the value then in force: lowering it deletes older records at the next purge. The embedded store gives the freed space back to the file system.',
    }),

    // --- the authorization server the registered clients are for
    authorizationServer: security(Type.Union(
      [
        Type.Object(
          {
            type: Type.Literal('hydra'),
            adminUrl: Type.String({ pattern: '^https?://', description: "Hydra's admin API base URL (port 4445 by default)." }),
            issuer: Type.String({ pattern: '^https?://', description: "Hydra's issuer (URLS_SELF_ISSUER)." }),
            metadataUrl: Type.Optional(Type.String({ pattern: '^https?://', description: "Where Registrar reads Hydra's discovery document; default: under the issuer. Give Hydra's own public address when the issuer is a shared origin that routes discovery to Registrar." })),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            type: Type.Literal('keycloak'),
            url: Type.String({ pattern: '^https?://', description: "Keycloak's base URL." }),
            realm: Type.String({ minLength: 1, description: 'The realm clients are registered in.' }),
            adminClientId: Type.Optional(Type.String({ minLength: 1, description: 'A service-account client of that realm allowed to manage clients.' })),
            adminClientSecret: Type.Optional(Type.String({ minLength: 1 })),
            adminUsername: Type.Optional(Type.String({ minLength: 1, description: "Or: an administrator of the master realm (through its admin-cli client)." })),
            adminPassword: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            type: Type.Literal('oidc-provider'),
            issuer: Type.Optional(Type.String({ pattern: '^https?://', description: "The provider's issuer URL (its discovery is read from there)." })),
            metadataUrl: Type.Optional(Type.String({ pattern: '^https?://', description: "Where Registrar reads the provider's discovery document; default: under the issuer." })),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      {
        default: null,
        description:
          'The authorization server registered clients are for: `{"type": "hydra", "adminUrl", "issuer"}`, `{"type": "keycloak", "url", "realm", "adminClientId", "adminClientSecret"}` (or `adminUsername` / `adminPassword` of the master realm), or `{"type": "oidc-provider", "issuer"}` (it reads the store through the exported adapter). Every registration, update and deletion is made there in the same request; null: clients live in Registrar only. See docs/authorization-servers.md.',
      },
    )),
    authorizationServerTimeoutMs: Type.Integer({
      default: 5000,
      minimum: 100,
      description: 'Timeout of one call to the authorization server, in milliseconds; a server that does not answer in time fails the request with 503.',
    }),
    authorizationServerSyncIntervalSeconds: Type.Integer({
      default: 300,
      minimum: 0,
      description: 'How often the reconciler brings the authorization server in line with the store (it also runs at start and on demand); 0: only at start and on demand.',
    }),
    authorizationEndpoint: endpoint('authorization_endpoint'),
    tokenEndpoint: endpoint('token_endpoint'),
    jwksUri: endpoint('jwks_uri'),
    userInfoEndpoint: endpoint('userinfo_endpoint'),
    endSessionEndpoint: endpoint('end_session_endpoint'),
    revocationEndpoint: endpoint('revocation_endpoint'),
    introspectionEndpoint: endpoint('introspection_endpoint'),

    // --- RFC 7592 management authorised otherwise than by the registration access token (open banking)
    dcrAuthorizationWithClientCredentials: security(Type.Boolean({
      default: false,
      description:
        'RFC 7592 calls also accept an access token the client got from the authorization server with client_credentials (UK Open Banking DCR 3.3, Australia CDR): verified by dcrAuthorizationJwksUri (JWT), by introspection (dcrAuthorizationIntrospectionEndpoint), or else by the connected server (Hydra: introspection; Keycloak: the realm signing keys); its client must be the client in the path, a certificate-bound token (cnf x5t#S256) must come with that certificate.',
    })),
    dcrAuthorizationWithMTLS: security(Type.Boolean({
      default: false,
      description:
        "RFC 7592 calls also accept the client's own TLS certificate with no token: the certificate must identify the client per RFC 8705 (tls_client_auth subject or SAN members, or a self_signed_tls_client_auth key).",
    })),
    dcrAuthorizationIntrospectionEndpoint: security(Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()], {
      default: null,
      description: 'RFC 7662 introspection endpoint for management access tokens; null: the connected authorization server verifies them.',
    })),
    dcrAuthorizationIntrospectionClientId: Type.Union([Type.String(), Type.Null()], { default: null, description: 'Client id Registrar authenticates with at the introspection endpoint (HTTP Basic).' }),
    dcrAuthorizationIntrospectionClientSecret: Type.Union([Type.String(), Type.Null()], { default: null, description: 'Its secret.' }),
    dcrAuthorizationJwksUri: security(Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()], {
      default: null,
      description: 'JWKS that verifies JWT management access tokens (instead of introspection); with dcrAuthorizationIssuer.',
    })),
    dcrAuthorizationIssuer: Type.Union([Type.String(), Type.Null()], { default: null, description: 'The `iss` JWT management access tokens must carry.' }),
    dcrAuthorizationAudience: Type.Union([Type.String(), Type.Null()], { default: null, description: 'An `aud` JWT management access tokens must carry; null: not checked.' }),
    dcrAuthorizationRequiredScope: Type.Union([Type.String(), Type.Null()], { default: null, description: 'A scope management access tokens must carry; null: none required.' }),

    // --- software statements (RFC 7591 §2.3)
    softwareStatementValidationType: security(Type.Union(
      [Type.Literal('none'), Type.Literal('script'), Type.Literal('jwks'), Type.Literal('jwks_uri'), Type.Literal('builtin')],
      {
        default: 'script',
        description:
          'How software statements are verified: `none` (not verified: conveys no trust), `script` (keys from getSoftwareStatementJwks / getSoftwareStatementHmacSecret), `jwks` / `jwks_uri` (keys from the statement claim named by softwareStatementValidationClaimName: conveys no trust), `builtin` (dcrSsaValidationConfigs and trustedSsaIssuers).',
      },
    )),
    softwareStatementValidationClaimName: security(Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'Statement claim holding the keys for the `jwks` / `jwks_uri` validation types (default: `jwks` / `jwks_uri`).',
    })),
    dcrSsaValidationConfigs: security(Type.Array(
      Type.Object(
        {
          id: Type.String(),
          type: Type.String({ description: '`SSA` (software statements) or `DCR` (signed requests), any case.' }),
          displayName: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
          issuers: Type.Optional(Type.Array(Type.String())),
          jwks: Type.Optional(Type.Union([Type.String(), Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) })])),
          // Janssen's names; the snake-case spellings are folded into them when the configuration is built.
          jwksUri: Type.Optional(Type.String()),
          jwks_uri: Type.Optional(Type.String()),
          sharedSecret: Type.Optional(Type.String()),
          shared_secret: Type.Optional(Type.String()),
          scopes: Type.Optional(Type.Array(Type.String())),
          scope: Type.Optional(Type.Array(Type.String())),
          allowedClaims: Type.Optional(Type.Array(Type.String())),
          allowed_claims: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: false },
      ),
      {
        default: [],
        description:
          'Trusted issuers for `builtin` validation: each entry names issuers and their keys (jwks, jwks_uri or sharedSecret), the scopes a statement may grant (scopes) and the statement claims kept (allowedClaims).',
      },
    )),
    trustedSsaIssuers: security(Type.Record(Type.String(), Type.Object({ automaticallyGrantedScopes: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: true }), {
      default: {},
      description: 'Issuer → {automaticallyGrantedScopes}: scopes every client registered with a statement from that issuer gets (`builtin`).',
    })),
    dcrSoftwareStatementRequired: security(Type.Boolean({ default: false, description: 'Refuse POST and PUT requests without a software statement.' })),
    softwareStatementAllowedAlgorithms: security(list(
      ASYMMETRIC_SIGNING_ALGS.concat(['HS256', 'HS384', 'HS512']),
      'Signature algorithms accepted on software statements.',
    )),

    // --- signed registration requests (application/jwt)
    dcrSignatureValidationEnabled: security(Type.Boolean({
      default: false,
      description: 'Accept signed registration requests (application/jwt or application/jose bodies) and verify them; when false such bodies are refused.',
    })),
    dcrSignatureValidationJwks: security(Type.Union([Type.String(), Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }), Type.Null()], {
      default: null,
      description: 'Keys that verify signed requests (a JWKS object or its JSON string).',
    })),
    dcrSignatureValidationJwksUri: security(Type.Union([Type.String(), Type.Null()], { default: null, description: 'JWKS URI whose keys verify signed requests.' })),
    dcrSignatureValidationSharedSecret: security(Type.Union([Type.String(), Type.Null()], { default: null, description: 'HMAC secret that verifies signed requests.' })),
    dcrSignatureValidationSoftwareStatementJwksURIClaim: Type.Union([Type.String(), Type.Null()], {
      default: null,
      description: 'Statement claim whose JWKS URI verifies the signed request that carries the statement (e.g. `software_jwks_endpoint`).',
    }),
    dcrSignatureValidationSoftwareStatementJwksClaim: Type.Union([Type.String(), Type.Null()], {
      default: null,
      description: 'Statement claim whose JWKS verifies the signed request that carries the statement (e.g. `software_jwks`).',
    }),
    dcrSignatureValidationAllowedAlgorithms: security(list(
      ASYMMETRIC_SIGNING_ALGS.concat(['HS256', 'HS384', 'HS512']),
      'Signature algorithms accepted on signed registration requests.',
    )),
    dcrSignatureValidationAudience: list([], 'Accepted `aud` values of signed requests; empty: `aud` is not checked.'),
    dcrSignatureValidationClockSkewSeconds: Type.Integer({ default: 60, minimum: 0, description: 'Clock skew tolerated on exp, nbf and iat.' }),
    fapiCompatibility: security(Type.Boolean({
      default: false,
      description: 'FAPI / UK Open Banking limits: PS256 and ES256 only for request objects, statements and every *_alg member; response types `code` and `code id_token` only.',
    })),

    // --- proxies, and client certificates (mTLS, RFC 8705)
    trustedProxies: security(list(
      [],
      'Addresses or CIDRs of the reverse proxies in front of the server. From them, and only from them: X-Forwarded-For names the client address (walked from the right; used by rate limits and the token endpoint), and X-ClientCert (PEM) or Client-Cert (RFC 9440) carries the client certificate.',
    )),
    mtlsTrustedProxies: security(list([], "The older name of trustedProxies, still read: its entries are moved into trustedProxies when the configuration is built.")),
    dynamicRegistrationRequireClientCertificate: security(Type.Boolean({
      default: false,
      description: 'Refuse registration (POST and PUT) without a client certificate, on the TLS socket or from a trusted proxy.',
    })),

    // --- keys from the network
    jwksCacheMaxAgeSeconds: Type.Integer({ default: 300, minimum: 0, description: 'How long fetched key sets are kept when the response has no Cache-Control max-age (max-age is honoured, capped at a day).' }),
    jwksRefetchCooldownSeconds: Type.Integer({ default: 30, minimum: 0, description: 'Least time between two fetches of one key set, so a stream of unknown kids cannot hammer the remote.' }),
    jwksCacheMaxEntries: Type.Integer({ default: 1000, minimum: 1, description: 'Key sets (and recent failures) the shared cache keeps; the least recently used go first.' }),
    jwksCacheMaxBytes: Type.Integer({ default: 16 * 1024 * 1024, minimum: 1024, description: 'Bytes of key sets the shared cache keeps; the least recently used go first.' }),

    // --- outbound HTTP (sector_identifier_uri, JWKS, directories, the scripts' http plugin)
    outboundAllowHttp: security(Type.Boolean({ default: false, description: 'Allow plain http:// for server-side fetches (https only when false).' })),
    outboundAllowPrivateAddresses: security(Type.Boolean({
      default: false,
      description: 'Allow server-side fetches to private, loopback and link-local addresses (checked after DNS resolution).',
    })),
    outboundTimeoutMs: Type.Integer({ default: 5000, minimum: 100, description: 'Timeout for one server-side fetch, in milliseconds.' }),
    dnsServers: security(list(
      [],
      "Name servers that resolve the hosts clients give (`1.1.1.1`, `[2001:db8::1]:53`), for the registration address check and server-side fetches of client URLs; empty: the system's. Queried on Registrar's own resolver (c-ares), never the thread pool; the hosts file is read too.",
    )),
    dnsTimeoutMs: Type.Integer({
      default: 250,
      minimum: 10,
      description:
        "Longest wait for a client's host to resolve (both address families); a registration waits at most this long for the client's DNS. No complete answer in time refuses the registration (invalid_client_metadata); an answer is kept for its TTL.",
    }),
    addressRecheckIntervalSeconds: Type.Integer({
      default: 3600,
      minimum: 0,
      description:
        'How often the hosts of every stored client URI that servers dereference (jwks_uri, sector_identifier_uri, request_uris, back-channel URIs) are resolved again: a host that now resolves to a private address is recorded on the client, logged and counted; 0: never.',
    }),
    addressRecheckDisablesClients: security(Type.Boolean({
      default: false,
      description: 'A client the re-check finds pointing at a private address is also disabled (at the authorization server too), until an administrator enables it.',
    })),
    outboundMaxResponseBytes: Type.Integer({ default: 262144, minimum: 1024, description: 'Largest response body a server-side fetch accepts.' }),
  },
  { additionalProperties: false },
);

export type ServerConfig = Static<typeof ServerProperties>;
export type AuthorizationServerSettings = NonNullable<ServerConfig['authorizationServer']>;

/**
 * Properties whose change can open the server up (what it accepts, whom it trusts, where it goes
 * on the network), marked `security(...)` where they are declared: a change to any of them is
 * logged at warn level with its old and new value.
 */
export const SECURITY_PROPERTIES: ReadonlySet<keyof ServerConfig> = new Set(
  Object.entries(ServerProperties.properties)
    .filter(([, schema]) => (schema as TSchema)['x-security'] === true)
    .map(([name]) => name as keyof ServerConfig),
);

/** A property published in discovery: its member, and for an enforced list what a server's document means without it. */
export interface PublishedProperty {
  member: string;
  property: keyof ServerConfig;
  /** Undefined: never narrowed by a connected server (endpoints, claims, ACR values). */
  whenAbsent: WhenAbsent | undefined;
  /** A list of signing algorithms (`none` is left out of discovery when rejectJwtWithNoneAlg). */
  signing: boolean;
}

export const PUBLISHED_PROPERTIES: readonly PublishedProperty[] = Object.entries(ServerProperties.properties)
  .filter(([, schema]) => typeof (schema as TSchema)['x-discovery'] === 'string')
  .map(([name, schema]) => {
    const member = (schema as TSchema)['x-discovery'] as string;
    return { member, property: name as keyof ServerConfig, whenAbsent: (schema as TSchema)['x-absent'] as WhenAbsent | undefined, signing: member.endsWith('_signing_alg_values_supported') };
  });

export interface PropertyDoc {
  name: string;
  type: string;
  default: unknown;
  description: string;
  /** A change to it is logged at warn level (SECURITY_PROPERTIES). */
  security: boolean;
}

function typeName(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return [...new Set((schema.anyOf as TSchema[]).map(typeName))].join(' or ');
  if (schema.const !== undefined) return typeof schema.const === 'string' ? 'string' : typeof schema.const;
  if (schema.type === 'array') return `${typeName(schema.items as TSchema)}[]`;
  return String(schema.type);
}

export function describeProperties(): PropertyDoc[] {
  return Object.entries(ServerProperties.properties).map(([name, schema]) => ({
    name,
    type: typeName(schema),
    default: schema.default,
    description: String(schema.description),
    security: SECURITY_PROPERTIES.has(name as keyof ServerConfig),
  }));
}
