// Absolute URIs of the kinds declared in fields.ts. Redirect-like members are redirectUris.ts.
import { FIELDS, type ClientMetadata, type UriKind } from '../fields.ts';
import { languageTagged } from '../members.ts';
import { metadataError } from '../shape.ts';
import type { RuleContext } from './context.ts';

/** Schemes that execute or read local content; never acceptable in any client URI. */
export const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);

export function parseUri(member: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw metadataError(member, `${member} must contain absolute URIs, got "${value}"`);
  }
  if (DANGEROUS_SCHEMES.has(url.protocol)) throw metadataError(member, `${member} must not use the ${url.protocol} scheme`);
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
