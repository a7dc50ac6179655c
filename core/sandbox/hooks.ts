// The hooks a script may export, and the schema each one's result must satisfy before the host
// uses it. Anything else a hook returns fails the request (bad_output).
import { Ajv, type ValidateFunction } from 'ajv';

const SCOPE_TOKENS = { type: 'array', items: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }, maxItems: 1000 };
const METADATA = { type: 'object' };
const nullable = (schema: object) => ({ anyOf: [{ type: 'null' }, schema] });

export const HOOK_RESULTS = {
  createClient: nullable({ anyOf: [{ type: 'boolean' }, METADATA] }),
  updateClient: nullable({ anyOf: [{ type: 'boolean' }, METADATA] }),
  deleteClient: nullable({ type: 'boolean' }),
  modifyScopes: SCOPE_TOKENS,
  manageClaims: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 },
  modifyPostResponse: { anyOf: [{ type: 'boolean' }, { type: 'object' }] },
  modifyPutResponse: { anyOf: [{ type: 'boolean' }, { type: 'object' }] },
  modifyReadResponse: { anyOf: [{ type: 'boolean' }, { type: 'object' }] },
  isCertValidForClient: { type: 'boolean' },
  getSoftwareStatementJwks: nullable({ anyOf: [{ type: 'string' }, { type: 'object', required: ['keys'] }] }),
  getSoftwareStatementHmacSecret: nullable({ type: 'string' }),
  getDcrJwks: nullable({ anyOf: [{ type: 'string' }, { type: 'object', required: ['keys'] }] }),
  getDcrHmacSecret: nullable({ type: 'string' }),
  init: {},
  destroy: {},
} as const;

export type HookName = keyof typeof HOOK_RESULTS;
export const HOOK_NAMES = Object.keys(HOOK_RESULTS) as HookName[];

const ajv = new Ajv({ strict: false, allErrors: false });
export const RESULT_VALIDATORS = new Map<HookName, ValidateFunction>(
  HOOK_NAMES.map((hook) => [hook, ajv.compile(HOOK_RESULTS[hook])]),
);

/** Error codes a script may reject with, and the HTTP status each gets. */
export const REJECTION_CODES: ReadonlyMap<string, number> = new Map([
  ['invalid_client_metadata', 400],
  ['invalid_redirect_uri', 400],
  ['invalid_software_statement', 400],
  ['unapproved_software_statement', 400],
  ['invalid_request', 400],
  ['access_denied', 403],
]);
