// Like Janssen's Casa client registration script: clients registering one of the configured
// redirect URIs are trusted (consent skipped; takes effect when trustedClientEnabled is true)
// and get extra scopes. Written in TypeScript to show the types; other clients are untouched.
import type { CreateClient, Match, MatchCondition, ModifyScopes } from './registrar.d.ts';

interface Properties {
  redirectUris: string[];
  scopes: string[];
}

const isListed = (redirects: string[] | undefined, properties: Properties): boolean =>
  (redirects ?? []).some((uri) => properties.redirectUris.includes(uri));

// Both hooks are called only for clients with a listed redirect URI (the server checks this
// before entering the sandbox), so ordinary registrations cost this script nothing.
export const match: Match<Properties> = ({ redirectUris }) => {
  const listed: MatchCondition =
    redirectUris.length > 0 ? { properties: { client: { properties: { redirect_uris: { contains: { enum: redirectUris } } }, required: ['redirect_uris'] } } } : { not: {} };
  return { createClient: listed, modifyScopes: listed };
};

export const createClient: CreateClient<Properties> = (context) => {
  if (!isListed(context.client.redirect_uris, context.properties)) return true;
  context.client.trusted_client = true;
  return true;
};

export const modifyScopes: ModifyScopes<Properties> = (scopes, context) => {
  if (!isListed(context.client.redirect_uris, context.properties)) return scopes;
  return [...new Set([...scopes, ...context.properties.scopes])];
};
