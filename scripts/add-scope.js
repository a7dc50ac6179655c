// The seed document's sample: give a scope (e.g. `address`) to clients whose redirect URI is in
// a configured list. Ordinary registrations are untouched.
/** @typedef {{ redirectUris: string[], scope: string }} Properties */

// The server calls modifyScopes only for clients with a listed redirect URI (checked without
// entering the sandbox); every other registration costs this script nothing.
/** @type {import('./registrar.d.ts').Match<Properties>} */
export const match = ({ redirectUris = [] }) => ({
  modifyScopes: redirectUris.length > 0 ? { properties: { client: { properties: { redirect_uris: { contains: { enum: redirectUris } } }, required: ['redirect_uris'] } } } : { not: {} },
});

/** @type {import('./registrar.d.ts').ModifyScopes<Properties>} */
export function modifyScopes(scopes, context) {
  const { redirectUris = [], scope } = context.properties;
  const listed = (context.client.redirect_uris ?? []).some((uri) => redirectUris.includes(uri));
  return listed && scope && !scopes.includes(scope) ? [...scopes, scope] : scopes;
}
