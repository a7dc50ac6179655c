// Defaults for members the client left out (RFC 7591 §2, OIDC DCR §2), some from configuration.
import type { ServerConfig } from '../config/index.ts';
import type { ClientMetadata } from './fields.ts';

const responseTypeNeedsCode = (type: string) => type.split(' ').includes('code');
const responseTypeIsImplicit = (type: string) => type.split(' ').some((word) => word === 'token' || word === 'id_token');

export function applyDefaults(metadata: ClientMetadata, config: ServerConfig): void {
  metadata.application_type ??= 'web';
  const { grant_types: grants, response_types: responses } = metadata;
  if (!grants && !responses) {
    metadata.grant_types = ['authorization_code'];
    metadata.response_types = ['code'];
  } else if (!responses) {
    // client_credentials-only (or device, CIBA, ...) clients have no response types.
    metadata.response_types = grants?.includes('authorization_code') ? ['code'] : [];
  } else if (!grants) {
    const derived: string[] = [];
    if (responses.some(responseTypeNeedsCode)) derived.push('authorization_code');
    if (responses.some(responseTypeIsImplicit)) derived.push('implicit');
    metadata.grant_types = derived;
  }
  if (config.grantTypesAndResponseTypesAutofixEnabled && metadata.grant_types && metadata.response_types) {
    const implied = new Set(metadata.grant_types);
    if (metadata.response_types.some(responseTypeNeedsCode)) implied.add('authorization_code');
    if (metadata.response_types.some(responseTypeIsImplicit)) implied.add('implicit');
    metadata.grant_types = [...implied];
  }
  metadata.token_endpoint_auth_method ??= 'client_secret_basic';
  metadata.subject_type ??= config.defaultSubjectType;
  // Under fapiCompatibility the default must itself be a FAPI algorithm.
  metadata.id_token_signed_response_alg ??= config.fapiCompatibility && !['PS256', 'ES256'].includes(config.defaultSignatureAlgorithm) ? 'PS256' : config.defaultSignatureAlgorithm;
}

export { responseTypeIsImplicit, responseTypeNeedsCode };
