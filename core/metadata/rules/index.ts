// The built-in registration rules, in the order they run. Each is a named function of the
// draft metadata; the first to throw decides the error.
import type { ClientMetadata } from '../fields.ts';
import { addresses } from './addresses.ts';
import { ciba } from './ciba.ts';
import type { RuleContext } from './context.ts';
import { encryption } from './encryption.ts';
import { fapi } from './fapi.ts';
import { grantTypes } from './grantTypes.ts';
import { keys } from './keys.ts';
import { redirectUris } from './redirectUris.ts';
import { scope } from './scope.ts';
import { sectorIdentifier } from './sectorIdentifier.ts';
import { supportedValues } from './supportedValues.ts';
import { tlsClientAuth } from './tlsClientAuth.ts';
import { uris } from './uris.ts';

export type Rule = (metadata: ClientMetadata, context: RuleContext) => void | Promise<void>;

export const RULES: ReadonlyArray<Rule> = [
  uris,
  redirectUris,
  grantTypes,
  supportedValues,
  fapi,
  encryption,
  keys,
  tlsClientAuth,
  ciba,
  scope,
  addresses, // these two go to the network (DNS, then the sector document)
  sectorIdentifier,
];

export type { RuleContext } from './context.ts';
export { scopeList } from './scope.ts';
export { dereferencedHosts } from './addresses.ts';
export { isLoopbackHost } from './redirectUris.ts';
export { keyedWithClientSecret } from './keys.ts';
