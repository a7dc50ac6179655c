// Janssen's sample client registration script (SampleScript.py in its script catalog), ported
// hook for hook to show how a Janssen script reads here; docs/scripts.md, "Coming from Janssen",
// maps the rest of the API. Shipped disabled: add-scope.js does the same with a match condition.
//
// Janssen                                            here
// configurationAttributes.get(name).getValue2()   -> context.properties[name] (janssen-sample.json)
// client.getRedirectUris()                        -> context.client.redirect_uris
// client.getScopes() / client.setScopes(dns)      -> context.client.scope, a space-separated string of names
// ScopeService.getScopeByDisplayName('address')   -> the scope's name, 'address'
// print "..."                                     -> console.log(...)

/** @typedef {{ client_redirect_uris?: string }} Properties */

/** Janssen keeps the comma-separated list as a set built in init; a settings change reloads the script and runs init again. */
let clientRedirectUris = new Set();

/** @param {Properties} properties */
export function init(properties) {
  console.log('Client registration. Initialization');
  const listed = (properties.client_redirect_uris ?? '').split(',').map((uri) => uri.trim()).filter(Boolean);
  if (listed.length === 0) console.log('Client registration. No clients specified in client_redirect_uris property');
  clientRedirectUris = new Set(listed);
}

/** @type {import('./registrar.d.ts').CreateClient<Properties>} */
export function createClient(context) {
  const redirectUris = context.client.redirect_uris ?? [];
  const addAddressScope = redirectUris.some((uri) => clientRedirectUris.has(uri));
  console.log(`Client registration. Is add address scope: ${addAddressScope}`);
  if (addAddressScope) {
    const scopes = (context.client.scope ?? '').split(' ').filter(Boolean);
    if (!scopes.includes('address')) context.client.scope = [...scopes, 'address'].join(' ');
  }
  // Janssen style: change context.client in place and return true.
  return true;
}

/** @type {import('./registrar.d.ts').UpdateClient<Properties>} */
export function updateClient() {
  return true;
}
