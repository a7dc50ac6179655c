// Members whose values must be among what the server advertises in discovery (x-supported
// in fields.ts), `none` refused for signing algorithms when rejectJwtWithNoneAlg, and
// default_acr_values within acrValuesSupported when that list is set.
import type { ServerConfig } from '../../config/index.ts';
import { InvalidClientMetadata } from '../../errors/index.ts';
import { FIELDS, type ClientMetadata } from '../fields.ts';
import type { RuleContext } from './context.ts';

const SUPPORTED = [...FIELDS]
  .filter(([, schema]) => schema['x-supported'])
  .map(([name, schema]) => ({ name, property: schema['x-supported'] as keyof ServerConfig, signing: schema['x-signing'] === true }));

export function supportedValues(metadata: ClientMetadata, { config }: RuleContext): void {
  for (const { name, property, signing } of SUPPORTED) {
    const value = metadata[name];
    if (value === undefined) continue;
    if (signing && value === 'none' && config.rejectJwtWithNoneAlg) {
      throw new InvalidClientMetadata(`${name} must not be "none"`);
    }
    const allowed = config[property] as readonly string[];
    if (!allowed.includes(value as string)) {
      throw new InvalidClientMetadata(`${name} "${String(value)}" is not supported; supported: ${allowed.join(', ')}`);
    }
  }
  const acr = config.acrValuesSupported;
  if (acr.length > 0) {
    const unknown = (metadata.default_acr_values ?? []).find((value) => !acr.includes(value));
    if (unknown !== undefined) throw new InvalidClientMetadata(`default_acr_values "${unknown}" is not supported`);
  }
}
