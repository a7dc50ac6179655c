// node-oidc-provider reads Registrar's store through the exported adapter (oidcProviderAdapter.ts):
// nothing is pushed. The connection reads the provider's discovery document, for the lists it
// supports and the topology, and answers readiness.
import { documentLists } from './supported.ts';
import type { AuthorizationServer, ConnectionContext } from './types.ts';

export function oidcProvider(settings: { issuer?: string | undefined; metadataUrl?: string | undefined }, { call }: ConnectionContext): AuthorizationServer {
  const discoveryUrl = settings.metadataUrl ?? (settings.issuer ? `${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration` : undefined);
  return {
    type: 'oidc-provider',
    discoveryUrl,
    supported: documentLists,
    // The provider grants the scopes it is configured with, and lists them all.
    scopesComplete: true,
    pushes: false,
    secretMember: 'client_secret',
    represent: () => undefined,
    create: async () => {},
    update: async () => {},
    remove: async () => {},
    listManaged: async () => new Map(),
    identity: (client) => ({ client_id: client.client_id }),
    differs: () => false,
    async ping() {
      if (discoveryUrl) await call('ping', discoveryUrl);
    },
  };
}
