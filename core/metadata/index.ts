// Client metadata: which members count (members.ts), their types (fields.ts + shape.ts),
// defaults (defaults.ts) and the registration rules (rules/). Request metadata and policy
// (script) output go through the same validateClientMetadata before anything is stored.
import type { ServerConfig } from '../config/index.ts';
import { applyDefaults } from './defaults.ts';
import type { ClientMetadata } from './fields.ts';
import { outboundPolicy } from '../outbound/index.ts';
import { RULES, type RuleContext } from './rules/index.ts';
import { checkShape } from './shape.ts';

export { ClientMetadataSchema, FIELDS, REQUEST_ONLY, type ClientMetadata, type KnownClientMetadata } from './fields.ts';
export { pickMetadata, languageTagged, type MemberOrigin } from './members.ts';
export { dereferencedHosts, keyedWithClientSecret, scopeList, type RuleContext } from './rules/index.ts';

/** Type checks, defaults, then every rule. Returns a new object; the input is not changed. `offline`: rules do not resolve or fetch the client's URLs. */
export async function validateClientMetadata(metadata: ClientMetadata, config: ServerConfig, { offline = false } = {}): Promise<ClientMetadata> {
  // A JSON copy: metadata is JSON by construction, depth is bounded, and this is faster than structuredClone.
  const draft = JSON.parse(JSON.stringify(metadata)) as ClientMetadata;
  const context: RuleContext = { config, outbound: outboundPolicy(config), offline };
  checkShape(draft, config);
  applyDefaults(draft, config);
  for (const rule of RULES) await rule(draft, context);
  return draft;
}
