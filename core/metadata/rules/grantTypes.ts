// Grant and response types: supported, allowed for dynamic registration, and consistent with
// each other (RFC 7591 §2.1: code <-> authorization_code; token / id_token <-> implicit).
import { InvalidClientMetadata } from '../../errors/index.ts';
import { responseTypeIsImplicit, responseTypeNeedsCode } from '../defaults.ts';
import type { ClientMetadata } from '../fields.ts';
import type { RuleContext } from './context.ts';

const normalise = (responseType: string) => responseType.split(' ').filter(Boolean).sort().join(' ');

export function grantTypes(metadata: ClientMetadata, { config }: RuleContext): void {
  const grants = metadata.grant_types ?? [];
  const responses = metadata.response_types ?? [];
  for (const grant of grants) {
    if (!config.grantTypesSupported.includes(grant)) {
      throw new InvalidClientMetadata(`grant type "${grant}" is not supported`);
    }
    if (!config.grantTypesSupportedByDynamicRegistration.includes(grant)) {
      throw new InvalidClientMetadata(`grant type "${grant}" is not available to dynamically registered clients`);
    }
    if (grant === 'password' && !config.dynamicRegistrationPasswordGrantTypeEnabled) {
      throw new InvalidClientMetadata('the password grant type is not available to dynamically registered clients');
    }
  }
  const supported = new Set(config.responseTypesSupported.map(normalise));
  for (const type of responses) {
    if (!supported.has(normalise(type))) throw new InvalidClientMetadata(`response type "${type}" is not supported`);
  }
  const wantsCode = responses.some(responseTypeNeedsCode);
  const wantsImplicit = responses.some(responseTypeIsImplicit);
  const hasCode = grants.includes('authorization_code');
  const hasImplicit = grants.includes('implicit');
  if (wantsCode && !hasCode) throw new InvalidClientMetadata('response types with "code" need the authorization_code grant type');
  if (wantsImplicit && !hasImplicit) throw new InvalidClientMetadata('response types with "token" or "id_token" need the implicit grant type');
  if (hasCode && !wantsCode) throw new InvalidClientMetadata('the authorization_code grant type needs a response type with "code"');
  if (hasImplicit && !wantsImplicit) throw new InvalidClientMetadata('the implicit grant type needs a response type with "token" or "id_token"');
}
