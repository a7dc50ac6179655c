// Whether the server's copy of a client still says what Registrar wants: empty values (absent,
// null, '', [], {}) are one value, lists are compared as sets, objects member by member.
const isEmpty = (value: unknown) =>
  value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

function canonical(value: unknown): unknown {
  if (isEmpty(value)) return null;
  if (Array.isArray(value)) return value.map((item) => JSON.stringify(canonical(item))).sort();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, inner]) => !isEmpty(inner)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, inner]) => [key, canonical(inner)]));
  }
  return value;
}

export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** True when any of `members` differs between the wanted and the actual representation. */
export const membersDiffer = (wanted: Record<string, unknown>, actual: Record<string, unknown>, members: Iterable<string>): boolean => {
  for (const member of members) if (!sameValue(wanted[member], actual[member])) return true;
  return false;
};
