// fapiCompatibility (Janssen): FAPI 1.0 Advanced / UK Open Banking limits on client metadata:
// PS256 or ES256 for every signing algorithm member, and response types `code` or `code id_token`.
import { InvalidClientMetadata } from '../../errors/index.ts';
import { fieldsWhere, type ClientMetadata } from '../fields.ts';
import type { RuleContext } from './context.ts';

export const FAPI_SIGNING_ALGORITHMS = ['PS256', 'ES256'];
const FAPI_RESPONSE_TYPES = new Set(['code', 'code id_token']);
const SIGNING_MEMBERS = fieldsWhere('x-signing');

export function fapi(metadata: ClientMetadata, { config }: RuleContext): void {
  if (!config.fapiCompatibility) return;
  for (const member of SIGNING_MEMBERS) {
    const alg = metadata[member];
    if (alg !== undefined && !FAPI_SIGNING_ALGORITHMS.includes(alg as string)) {
      throw new InvalidClientMetadata(`${member} must be PS256 or ES256 (fapiCompatibility)`);
    }
  }
  for (const type of metadata.response_types ?? []) {
    const normalised = type.split(' ').filter(Boolean).sort().join(' ');
    if (!FAPI_RESPONSE_TYPES.has(normalised)) throw new InvalidClientMetadata(`response type "${type}" is not allowed (fapiCompatibility: code or code id_token)`);
  }
}
