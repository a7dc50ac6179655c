// What never leaves the server: members that hold credentials, at any depth, in what is kept or
// shown (decision records, replay output, the configuration API and its audit trail).

/** Members named as credentials: secrets, passwords, tokens a client or operator could present. */
const CREDENTIAL = /secret|password|^(registration_access_token|initial_access_token|access_token|refresh_token|authorization)$/i;

/** The private members of a JSON Web Key (RFC 7518 §6.2.2, §6.3.2, §6.4.1): with them, the key is a private key. */
const PRIVATE_JWK = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

export const MASK = '***';

const isJwk = (value: object) => typeof (value as { kty?: unknown }).kty === 'string';

/** A copy of `value` without credential members and without the private members of any JWK it holds. */
export function withoutSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item)) as T;
  if (!value || typeof value !== 'object') return value;
  const jwk = isJwk(value);
  return Object.fromEntries(
    Object.entries(value)
      .filter(([name]) => !CREDENTIAL.test(name) && !(jwk && PRIVATE_JWK.has(name)))
      .map(([name, inner]) => [name, withoutSecrets(inner)]),
  ) as T;
}

/** A copy of `value` with every credential member's text shown as MASK (configuration: that it is set shows, not its value). */
export function maskSecrets(value: unknown, name = ''): unknown {
  if (CREDENTIAL.test(name) && typeof value === 'string' && value !== '') return MASK;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskSecrets(inner, key)]));
  return value;
}

/**
 * `value` with each credential member that holds MASK given the value `current` has at the same
 * place: a document read with its secrets masked and written back keeps them.
 */
export function unmaskSecrets(value: unknown, current: unknown, name = ''): unknown {
  if (CREDENTIAL.test(name) && value === MASK) return current;
  if (Array.isArray(value)) return value.map((item, index) => unmaskSecrets(item, Array.isArray(current) ? current[index] : undefined));
  if (value && typeof value === 'object') {
    const before = current && typeof current === 'object' ? (current as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unmaskSecrets(inner, before[key], key)]));
  }
  return value;
}
