// RFC 6749 §3.3: scope is a space-delimited list of scope-tokens (NQCHAR, no quote or backslash).
import { InvalidClientMetadata } from '../../errors/index.ts';
import type { ClientMetadata } from '../fields.ts';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const scopeList = (scope: string | undefined): string[] => (scope ?? '').split(' ').filter(Boolean);

export function scope(metadata: ClientMetadata): void {
  for (const token of scopeList(metadata.scope)) {
    if (!SCOPE_TOKEN.test(token)) throw new InvalidClientMetadata(`scope contains an invalid scope token: "${token}"`);
  }
}
