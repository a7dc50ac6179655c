// Absolute URIs of the kinds declared in fields.ts. Redirect-like members are redirectUris.ts.
import { FIELDS, type ClientMetadata, type UriKind } from '../fields.ts';
import { languageTagged } from '../members.ts';
import { metadataError } from '../shape.ts';
import type { RuleContext } from './context.ts';

/** Schemes that execute or read local content; never acceptable in any client URI. */
export const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);

/**
 * Parses a client URI, refusing what a URL parser would quietly repair: the string is stored and
 * echoed as sent, so it must already be the URI that was checked.
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
  return url;
}

function checkUri(member: string, value: string, kind: UriKind, context: RuleContext): void {
  const url = parseUri(member, value);
  const httpAllowed = kind === 'web' || (kind === 'fetched' && context.config.outboundAllowHttp);
  if (url.protocol === 'https:' || (httpAllowed && url.protocol === 'http:')) return;
  throw metadataError(member, `${member} must be an ${httpAllowed ? 'http or https' : 'https'} URI, got "${value}"`);
}

export function uris(metadata: ClientMetadata, context: RuleContext): void {
  for (const [name, value] of Object.entries(metadata)) {
    const base = FIELDS.has(name) ? name : languageTagged(name)?.base;
    const kind = base ? (FIELDS.get(base)?.['x-uri'] as UriKind | undefined) : undefined;
    if (!kind || kind === 'redirect') continue;
    for (const item of Array.isArray(value) ? value : [value]) checkUri(name, item as string, kind, context);
  }
}
