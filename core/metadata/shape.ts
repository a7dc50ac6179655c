// Type checks of every member against its JSON Schema (fields.ts), with RFC error codes:
// a malformed redirect_uris is invalid_redirect_uri, anything else invalid_client_metadata.
import { memberPath, schemaValidator, type ErrorObject, type ValidateFunction } from '../validation/index.ts';
import type { ServerConfig } from '../config/index.ts';
import { InvalidClientMetadata, InvalidRedirectUri, type OAuthError } from '../errors/index.ts';
import { FIELDS, type ClientMetadata } from './fields.ts';
import { languageTagged } from './members.ts';

const validateMember = new Map<string, ValidateFunction>([...FIELDS].map(([name, schema]) => [name, schemaValidator(schema)]));
const validateCustom = schemaValidator({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] });

export function metadataError(member: string, description: string): OAuthError {
  return member === 'redirect_uris' ? new InvalidRedirectUri(description) : new InvalidClientMetadata(description);
}

function describe(member: string, error: ErrorObject | undefined): string {
  if (!error) return `${member} is invalid`;
  const item = error.instancePath ? ` (at ${memberPath(error, member)})` : '';
  const what = error.keyword === 'anyOf' ? 'has an unsupported value' : (error.message ?? 'is invalid');
  return `${member}${item} ${what}`;
}

/** Throws the first type error. Language-tagged members are checked against their base member. */
export function checkShape(metadata: ClientMetadata, config: ServerConfig): void {
  const custom = new Set(config.dynamicRegistrationCustomAttributes);
  for (const [name, value] of Object.entries(metadata)) {
    const base = FIELDS.has(name) ? name : languageTagged(name)?.base;
    const validate = base ? validateMember.get(base) : custom.has(name) ? validateCustom : undefined;
    if (validate && !validate(value)) throw metadataError(base ?? name, describe(name, validate.errors?.[0]));
  }
}
