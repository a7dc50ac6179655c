// Server configuration properties (Janssen names): the defaults, then the DCR_CONFIG file or what
// the configuration API stored. Validated as a whole and frozen; a run-time change swaps the whole
// object.
import { readFileSync } from 'node:fs';
import { messageOf } from '../errors/index.ts';
import { parseCidr } from '../net/index.ts';
import { describeErrors, describeJsonError, schemaValidator } from '../validation/index.ts';
import { ServerProperties, type ServerConfig } from './properties.ts';

const validateProperties = schemaValidator<ServerConfig>(ServerProperties, { allErrors: true, defaults: true });
// Run-time patches may write "true" for a boolean or "60" for a number (Janssen's own examples do).
const validateCoercing = schemaValidator<ServerConfig>(ServerProperties, { allErrors: true, defaults: true, coerce: true });

type SsaEntry = ServerConfig['dcrSsaValidationConfigs'][number];
/** Snake-case spellings accepted in dcrSsaValidationConfigs, and Janssen's names they fold into. */
const SSA_ALIASES = { jwks_uri: 'jwksUri', shared_secret: 'sharedSecret', scope: 'scopes', allowed_claims: 'allowedClaims' } as const;

/** An entry with Janssen's member names only, so readers never look for two spellings. */
function canonicalEntry(entry: SsaEntry): SsaEntry {
  const canonical: Record<string, unknown> = { ...entry };
  for (const [alias, name] of Object.entries(SSA_ALIASES)) {
    if (canonical[name] === undefined && canonical[alias] !== undefined) canonical[name] = canonical[alias];
    delete canonical[alias];
  }
  return canonical as SsaEntry;
}

/**
 * Validates properties over the defaults. Throws a TypeError naming every bad property.
 * `coerce` converts strings to the declared scalar types (run-time patches).
 */
export function buildConfig(properties: Record<string, unknown> = {}, { coerce = false } = {}): Readonly<ServerConfig> {
  const candidate: Record<string, unknown> = structuredClone(properties);
  if (coerce && !validateProperties(structuredClone(candidate))) {
    // Only a patch that needs it is coerced ("true" → true); a null stays null (coercion makes it "").
    const nulls = Object.keys(candidate).filter((name) => candidate[name] === null);
    if (validateCoercing(candidate)) Object.assign(candidate, Object.fromEntries(nulls.map((name) => [name, null])));
  }
  if (!validateProperties(candidate)) {
    const reasons = describeErrors(validateProperties.errors, '(root)', (name) => `unknown property "${name}"`, 50);
    throw new TypeError(`invalid server configuration: ${reasons.join('; ')}`);
  }
  const config = candidate as ServerConfig;
  config.dcrSsaValidationConfigs = config.dcrSsaValidationConfigs.map(canonicalEntry);
  config.trustedProxies = [...new Set([...config.trustedProxies, ...config.mtlsTrustedProxies])];
  config.mtlsTrustedProxies = [];
  if (!config.subjectTypesSupported.includes(config.defaultSubjectType)) {
    throw new TypeError(`defaultSubjectType "${config.defaultSubjectType}" is not in subjectTypesSupported`);
  }
  if (!config.idTokenSigningAlgValuesSupported.includes(config.defaultSignatureAlgorithm)) {
    throw new TypeError(`defaultSignatureAlgorithm "${config.defaultSignatureAlgorithm}" is not in idTokenSigningAlgValuesSupported`);
  }
  for (const cidr of config.trustedProxies) {
    if (!parseCidr(cidr)) throw new TypeError(`trustedProxies: "${cidr}" is not an IP address or CIDR`);
  }
  const server = config.authorizationServer;
  if (server?.type === 'keycloak') {
    const byClient = server.adminClientId !== undefined && server.adminClientSecret !== undefined;
    const byAdmin = server.adminUsername !== undefined && server.adminPassword !== undefined;
    if (byClient === byAdmin) {
      throw new TypeError('authorizationServer: a keycloak connection needs adminClientId and adminClientSecret, or adminUsername and adminPassword (one pair)');
    }
  }
  return deepFreeze(config);
}

export function loadConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TypeError(`DCR_CONFIG: cannot read ${path}: ${messageOf(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError(`DCR_CONFIG: ${path} is not valid JSON: ${describeJsonError(text)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError(`DCR_CONFIG: ${path} must hold a JSON object of configuration properties`);
  }
  return parsed as Record<string, unknown>;
}

/** Holds the configuration in force; handlers read `current` once per request. */
export class ConfigHolder {
  #current: Readonly<ServerConfig>;
  #revision = 0;
  readonly #listeners = new Set<(config: Readonly<ServerConfig>) => void>();

  constructor(initial: Readonly<ServerConfig>) {
    this.#current = initial;
  }

  get current(): Readonly<ServerConfig> {
    return this.#current;
  }

  /** The store's revision of the configuration in force (0: not from the store). */
  get revision(): number {
    return this.#revision;
  }

  /** Validates and swaps the whole configuration; the old object stays valid for requests in flight. */
  replace(properties: Record<string, unknown>, revision = this.#revision, options: { coerce?: boolean } = {}): Readonly<ServerConfig> {
    this.#current = buildConfig(properties, options);
    this.#revision = revision;
    for (const listener of this.#listeners) listener(this.#current);
    return this.#current;
  }

  /** Told after every swap (a patch here, or a change another instance stored), for what must follow at once. */
  onReplace(listener: (config: Readonly<ServerConfig>) => void): void {
    this.#listeners.add(listener);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
