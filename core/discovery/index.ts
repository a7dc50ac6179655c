// GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server (RFC 8414):
// the issuer it is served under, the registration endpoint and the *_supported lists that
// registration enforces. Without an authorization server, the Janssen-named endpoint properties
// fill in the server's endpoints. With one, the lists are narrowed to what it supports too, and:
// when it shares Registrar's issuer (one origin), its document is the base (its endpoints, its
// keys); otherwise the document is Registrar's registration metadata alone, since the server's
// endpoints issue tokens under the server's issuer and clients discover at that issuer.
import type { Middleware } from 'koa';
import { PUBLISHED_PROPERTIES, type ServerConfig } from '../config/index.ts';

/** What discovery is told of the connected authorization server. */
export interface ServerView {
  /** Its discovery document when it shares Registrar's issuer; undefined otherwise. */
  document: Record<string, unknown> | undefined;
}

/** What discovery reads when it answers: the configuration in force as narrowed by the server (503 while it cannot be), and the server. */
export type DiscoverySource = () => Promise<{ config: Readonly<ServerConfig>; server: ServerView | undefined }>;

const ENDPOINTS = PUBLISHED_PROPERTIES.filter(({ whenAbsent, member }) => whenAbsent === undefined && !member.endsWith('_supported'));
const LISTS = PUBLISHED_PROPERTIES.filter(({ member }) => member.endsWith('_supported'));

export function discoveryDocument(issuer: string, registrationEndpoint: string, config: Readonly<ServerConfig>, server?: ServerView): Record<string, unknown> {
  const base = server?.document ?? {};
  const document: Record<string, unknown> = { ...base, issuer, registration_endpoint: registrationEndpoint };
  if (!server) {
    for (const { member, property } of ENDPOINTS) {
      const value = config[property];
      if (typeof value === 'string') document[member] = value;
    }
  }
  for (const { member, property, signing, whenAbsent } of LISTS) {
    // A list registration does not enforce (claims, ACR values) is the server's to state, when its document does.
    if (whenAbsent === undefined && base[member] !== undefined) continue;
    const values = (config[property] as readonly string[]).filter((value) => !signing || value !== 'none' || !config.rejectJwtWithNoneAlg);
    if (values.length > 0) document[member] = values;
    else delete document[member];
  }
  if (config.clientIdMetadataDocumentsEnabled) document.client_id_metadata_document_supported = true;
  return document;
}

export function discovery(issuer: string, registrationEndpoint: string, source: DiscoverySource): Middleware {
  return async (ctx) => {
    const { config, server } = await source();
    ctx.set({ 'Cache-Control': 'no-cache', Pragma: 'no-cache' });
    ctx.body = discoveryDocument(issuer, registrationEndpoint, config, server);
  };
}
