// The authorization server Registrar registers clients for (the `authorizationServer` property):
// Ory Hydra and Keycloak through their admin APIs, node-oidc-provider through the exported store
// adapter. See docs/authorization-servers.md.
export { AuthorizationServerLink, UpstreamRefused, type ClientChange, type LinkOptions } from './link.ts';
export { Reconciler, type SyncReport, type SyncTrigger } from './reconcile.ts';
export { HYDRA_MAPPING } from './hydra.ts';
export { KEYCLOAK_MAPPING } from './keycloak.ts';
export type { AuthorizationServer, ServerClient } from './types.ts';
