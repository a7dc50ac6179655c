// Absolute URIs of the kinds declared in fields.ts. Redirect-like members are redirectUris.ts.
import { isIP } from 'node:net';
import { isPrivateAddress } from '../../net/index.ts';
import { FIELDS, type ClientMetadata, type UriKind } from '../fields.ts';
import { languageTagged } from '../members.ts';
import { metadataError } from '../shape.ts';
import type { RuleContext } from './context.ts';

/**
 * Schemes that execute or read local content, or open the browser's own pages; never acceptable in
 * any client URI (a native app's own scheme is reverse-domain, RFC 8252 §7.1).
 */
export const DANGEROUS_SCHEMES = new Set([
  'javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'view-source:', 'jar:', 'filesystem:', 'resource:',
  'chrome:', 'chrome-extension:', 'moz-extension:', 'edge:', 'opera:', 'brave:', 'safari-extension:',
]);

/** The URI as browsers serialise it (WHATWG URL), but for the one slash they add to an empty path. */
const browserForm = (url: URL, value: string) => (url.href === value || url.href === `${value}/` ? value : url.href);

/**
 * Parses a client URI, refusing what a URL parser would quietly repair: the string is stored and
 * echoed as sent, and the authorization server compares it as a string, so it must already be the
 * form a browser will use (WHATWG URL serialisation: UTS #46 host mapping, lower case, no default
 * port, no dot segments, percent-encoding as browsers do). Another form is refused, naming it.
 */
export function parseUri(member: string, value: string): URL {
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) {
    throw metadataError(member, `${member} must not contain whitespace, control characters or backslashes`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw metadataError(member, `${member} must contain absolute URIs, got "${value}"`);
  }
  if (DANGEROUS_SCHEMES.has(url.protocol)) throw metadataError(member, `${member} must not use the ${url.protocol} scheme`);
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) throw metadataError(member, `${member} must not contain user information`);
  if (/^https?:$/.test(url.protocol) && !/^https?:\/\/[^/?#]/i.test(value)) throw metadataError(member, `${member} must be written scheme://host/..., got "${value}"`);
  const form = browserForm(url, value);
  if (form !== value) throw metadataError(member, `${member} must be written as browsers read it: "${form}", not "${value}"`);
  return url;
}

/**
 * Pages browsers of the authorization server's users open (logo, home page, policy, terms): not a
 * server's fetch, so names are not resolved, but an address written into one that points inside
 * (a loopback, private or link-local address, a localhost name) would send those users' browsers
 * into their own networks, and is refused unless outboundAllowPrivateAddresses.
 */
function pointsInside(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host));
}

function checkUri(member: string, value: string, kind: UriKind, context: RuleContext): void {
  const url = parseUri(member, value);
  const httpAllowed = kind === 'web' || (kind === 'fetched' && context.config.outboundAllowHttp);
  if (url.protocol !== 'https:' && !(httpAllowed && url.protocol === 'http:')) {
    throw metadataError(member, `${member} must be an ${httpAllowed ? 'http or https' : 'https'} URI, got "${value}"`);
  }
  if (kind === 'web' && !context.config.outboundAllowPrivateAddresses && pointsInside(url)) {
    throw metadataError(member, `${member} must not point at a loopback, private or link-local address`);
  }
}

export function uris(metadata: ClientMetadata, context: RuleContext): void {
  for (const [name, value] of Object.entries(metadata)) {
    const base = FIELDS.has(name) ? name : languageTagged(name)?.base;
    const kind = base ? (FIELDS.get(base)?.['x-uri'] as UriKind | undefined) : undefined;
    if (!kind || kind === 'redirect') continue;
    for (const item of Array.isArray(value) ? value : [value]) checkUri(name, item as string, kind, context);
  }
}
