// Like Janssen's Casa client registration script: clients registering one of the configured
// redirect URIs are trusted (consent skipped; takes effect when trustedClientEnabled is true)
// and get extra scopes. Written in TypeScript to show the types; other clients are untouched.
import type { CreateClient, ModifyScopes } from './registrar.d.ts';

interface Properties {
  redirectUris: string[];
  scopes: string[];
}

const isListed = (redirects: string[] | undefined, properties: Properties): boolean =>
  (redirects ?? []).some((uri) => properties.redirectUris.includes(uri));

export const createClient: CreateClient<Properties> = (context) => {
  if (!isListed(context.client.redirect_uris, context.properties)) return true;
  context.client.trusted_client = true;
  return true;
};

export const modifyScopes: ModifyScopes<Properties> = (scopes, context) => {
  if (!isListed(context.client.redirect_uris, context.properties)) return scopes;
  return [...new Set([...scopes, ...context.properties.scopes])];
};
