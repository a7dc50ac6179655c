// Which request members become client metadata: known members, language-tagged variants of
// taggable members (OIDC DCR §2.1) and the configured custom attributes. Everything else is
// dropped, so it is neither stored nor echoed (RFC 7591 §2: "ignore ... not understood").
import type { ServerConfig } from '../config/index.ts';
import { CLIENT_SETTABLE, FIELDS, LANGUAGE_TAGGABLE, type ClientMetadata } from './fields.ts';

/** BCP 47 language tag, loosely: subtags of 1-8 alphanumerics separated by hyphens. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

export type MemberOrigin = 'client' | 'policy';

export function languageTagged(name: string): { base: string; tag: string } | undefined {
  const hash = name.indexOf('#');
  if (hash <= 0) return undefined;
  const base = name.slice(0, hash);
  const tag = name.slice(hash + 1);
  return LANGUAGE_TAGGABLE.has(base) && LANGUAGE_TAG.test(tag) ? { base, tag } : undefined;
}

/**
 * Picks the members that count as client metadata. A client cannot set server-owned members
 * (trusted_client, ...); policy (scripts) can.
 */
export function pickMetadata(input: Record<string, unknown>, config: ServerConfig, origin: MemberOrigin): ClientMetadata {
  const custom = new Set(config.dynamicRegistrationCustomAttributes);
  const picked: ClientMetadata = {};
  for (const [name, value] of Object.entries(input)) {
    // null for an optional member means absent (in a PUT, the member is removed).
    if (value === undefined || value === null) continue;
    const known = origin === 'client' ? CLIENT_SETTABLE.has(name) : FIELDS.has(name);
    if (known || languageTagged(name) || custom.has(name)) picked[name] = value;
  }
  // Janssen sends `claims` as a space-separated string; keep one form.
  const claims: unknown = picked.claims;
  if (typeof claims === 'string') picked.claims = claims.split(' ').filter(Boolean);
  return picked;
}
