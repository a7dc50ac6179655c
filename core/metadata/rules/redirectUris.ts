// Redirect URIs (RFC 7591 §2, OIDC DCR §2, RFC 8252 §7, OAuth 2.0 Security BCP §4.1):
// absolute, no fragment; web clients use https, or http on a loopback host; native clients
// may also use custom (private-use) schemes; web clients of the implicit grant use https and
// no localhost. The same rules hold for post_logout_redirect_uris.
import { InvalidClientMetadata, InvalidRedirectUri, type OAuthError } from '../../errors/index.ts';
import type { ClientMetadata } from '../fields.ts';
import { parseUri } from './uris.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
export const isLoopbackHost = (hostname: string): boolean =>
  LOOPBACK_HOSTS.has(hostname) || /^127(?:\.\d{1,3}){3}$/.test(hostname);

function checkRedirectUri(member: string, value: string, metadata: ClientMetadata, fail: (d: string) => OAuthError): void {
  const url = parseUri(member, value);
  if (value.includes('#')) throw fail(`${member} must not contain a fragment: "${value}"`);
  const native = metadata.application_type === 'native';
  const implicitWeb = !native && member === 'redirect_uris' && metadata.grant_types?.includes('implicit');
  if (url.protocol === 'https:') {
    if (implicitWeb && isLoopbackHost(url.hostname)) {
      throw fail(`web clients using the implicit grant must not use localhost redirect URIs: "${value}"`);
    }
    return;
  }
  if (url.protocol === 'http:') {
    if (implicitWeb) throw fail(`web clients using the implicit grant must use https redirect URIs: "${value}"`);
    if (isLoopbackHost(url.hostname)) return;
    throw fail(`${member} must use https, or http on a loopback host: "${value}"`);
  }
  if (!native) throw fail(`web clients must use https ${member}; custom schemes are for native clients: "${value}"`);
}

export function redirectUris(metadata: ClientMetadata): void {
  const redirects = metadata.redirect_uris ?? [];
  const grants = metadata.grant_types ?? [];
  if (redirects.length === 0 && (grants.includes('authorization_code') || grants.includes('implicit'))) {
    throw new InvalidRedirectUri('redirect_uris is required for the authorization_code and implicit grant types');
  }
  for (const value of redirects) checkRedirectUri('redirect_uris', value, metadata, (d) => new InvalidRedirectUri(d));
  for (const value of metadata.post_logout_redirect_uris ?? []) {
    checkRedirectUri('post_logout_redirect_uris', value, metadata, (d) => new InvalidClientMetadata(d));
  }
}
