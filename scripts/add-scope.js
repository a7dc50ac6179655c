// The seed document's sample: give a scope (e.g. `address`) to clients whose redirect URI is in
// a configured list. Ordinary registrations are untouched.
/** @type {import('./registrar.d.ts').ModifyScopes<{ redirectUris: string[], scope: string }>} */
export function modifyScopes(scopes, context) {
  const { redirectUris = [], scope } = context.properties;
  const listed = (context.client.redirect_uris ?? []).some((uri) => redirectUris.includes(uri));
  return listed && scope && !scopes.includes(scope) ? [...scopes, scope] : scopes;
}
