// The servers Registrar can connect to, by the `type` of the authorizationServer property: each
// connection is a module of its own (its admin API, its discovery, its identity, what it carries);
// another server is one more module and one more line here.
import type { AuthorizationServerSettings } from '../config/index.ts';
import { hydra } from './hydra.ts';
import { keycloak } from './keycloak.ts';
import { oidcProvider } from './oidcProvider.ts';
import type { AuthorizationServer, ConnectionContext } from './types.ts';

export function connect(settings: AuthorizationServerSettings, context: ConnectionContext): AuthorizationServer {
  switch (settings.type) {
    case 'hydra':
      return hydra(settings, context);
    case 'keycloak':
      return keycloak(settings, context);
    case 'oidc-provider':
      return oidcProvider(settings, context);
  }
}
