// GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server (RFC 8414):
// the issuer, the registration endpoint and the *_supported lists that registration enforces,
// read from the configuration in force. With an authorization server connected, its own
// document is the base (its endpoints, its keys, what else it supports) and Registrar's members
// take precedence; without one, the Janssen-named endpoint properties fill those members.
import type { Middleware } from 'koa';
import type { ConfigHolder, ServerConfig } from '../config/index.ts';
import { NO_STORE } from '../http/errors.ts';

const SIGNING_LISTS: ReadonlyArray<[string, keyof ServerConfig]> = [
  ['token_endpoint_auth_signing_alg_values_supported', 'tokenEndpointAuthSigningAlgValuesSupported'],
  ['id_token_signing_alg_values_supported', 'idTokenSigningAlgValuesSupported'],
  ['userinfo_signing_alg_values_supported', 'userInfoSigningAlgValuesSupported'],
  ['request_object_signing_alg_values_supported', 'requestObjectSigningAlgValuesSupported'],
  ['authorization_signing_alg_values_supported', 'authorizationSigningAlgValuesSupported'],
  ['backchannel_authentication_request_signing_alg_values_supported', 'backchannelAuthenticationRequestSigningAlgValuesSupported'],
];

const LISTS: ReadonlyArray<[string, keyof ServerConfig]> = [
  ['response_types_supported', 'responseTypesSupported'],
  ['grant_types_supported', 'grantTypesSupported'],
  ['subject_types_supported', 'subjectTypesSupported'],
  ['token_endpoint_auth_methods_supported', 'tokenEndpointAuthMethodsSupported'],
  ['id_token_encryption_alg_values_supported', 'idTokenEncryptionAlgValuesSupported'],
  ['id_token_encryption_enc_values_supported', 'idTokenEncryptionEncValuesSupported'],
  ['userinfo_encryption_alg_values_supported', 'userInfoEncryptionAlgValuesSupported'],
  ['userinfo_encryption_enc_values_supported', 'userInfoEncryptionEncValuesSupported'],
  ['request_object_encryption_alg_values_supported', 'requestObjectEncryptionAlgValuesSupported'],
  ['request_object_encryption_enc_values_supported', 'requestObjectEncryptionEncValuesSupported'],
  ['authorization_encryption_alg_values_supported', 'authorizationEncryptionAlgValuesSupported'],
  ['authorization_encryption_enc_values_supported', 'authorizationEncryptionEncValuesSupported'],
  ['backchannel_token_delivery_modes_supported', 'backchannelTokenDeliveryModesSupported'],
  ['scopes_supported', 'scopesSupported'],
  ['claims_supported', 'claimsSupported'],
  ['acr_values_supported', 'acrValuesSupported'],
];

const ENDPOINTS: ReadonlyArray<[string, keyof ServerConfig]> = [
  ['authorization_endpoint', 'authorizationEndpoint'],
  ['token_endpoint', 'tokenEndpoint'],
  ['jwks_uri', 'jwksUri'],
  ['userinfo_endpoint', 'userInfoEndpoint'],
  ['end_session_endpoint', 'endSessionEndpoint'],
  ['revocation_endpoint', 'revocationEndpoint'],
  ['introspection_endpoint', 'introspectionEndpoint'],
];

/** Members of the server's document that are Registrar's to say (its own registration endpoint). */
const REGISTRARS = new Set(['registration_endpoint']);

/**
 * Registrar's document. `server` is the connected authorization server's own document: its
 * members come first, and Registrar's override them, except the issuer, which stays the
 * server's (tokens carry it; RFC 8414 clients compare it).
 */
export function discoveryDocument(issuer: string, registrationEndpoint: string, config: ServerConfig, server?: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = server ? Object.fromEntries(Object.entries(server).filter(([member]) => !REGISTRARS.has(member))) : {};
  const document: Record<string, unknown> = { issuer, ...base, registration_endpoint: registrationEndpoint };
  if (!server) {
    for (const [member, property] of ENDPOINTS) {
      const value = config[property];
      if (typeof value === 'string') document[member] = value;
    }
  }
  for (const [member, property] of LISTS) {
    const values = config[property] as readonly string[];
    if (values.length > 0) document[member] = values;
  }
  if (config.clientIdMetadataDocumentsEnabled) document.client_id_metadata_document_supported = true;
  for (const [member, property] of SIGNING_LISTS) {
    const values = (config[property] as readonly string[]).filter((alg) => alg !== 'none' || !config.rejectJwtWithNoneAlg);
    if (values.length > 0) document[member] = values;
  }
  return document;
}

export function discovery(issuer: string, registrationEndpoint: string, config: ConfigHolder, server: () => Record<string, unknown> | undefined = () => undefined): Middleware {
  return (ctx) => {
    ctx.set({ ...NO_STORE, 'Cache-Control': 'no-cache' });
    ctx.body = discoveryDocument(issuer, registrationEndpoint, config.current, server());
  };
}
