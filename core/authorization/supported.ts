// What works end to end: each *_supported list that registration enforces and discovery publishes
// is Registrar's own, narrowed to what the connected authorization server supports too, so that
// a client never registers for something the server's token endpoint then refuses.
import { PUBLISHED_PROPERTIES, type ServerConfig } from '../config/index.ts';

/** The lists a server supports, by discovery member; a member left out is not narrowed. */
export type ServerLists = Readonly<Record<string, readonly string[]>>;

/**
 * The lists a discovery document states, with what RFC 8414 and OpenID Connect Discovery make of
 * a member it leaves out (a default, or nothing supported). Connections adjust this reading with
 * what they know beyond the document.
 */
export function documentLists(document: Record<string, unknown>): Record<string, string[]> {
  const lists: Record<string, string[]> = {};
  for (const { member, whenAbsent } of PUBLISHED_PROPERTIES) {
    if (whenAbsent === undefined) continue;
    const value = document[member];
    if (Array.isArray(value)) lists[member] = value.filter((item): item is string => typeof item === 'string');
    else if (whenAbsent === 'unsupported') lists[member] = [];
    else if (Array.isArray(whenAbsent)) lists[member] = [...whenAbsent];
  }
  return lists;
}

/** Response types compare as sets of words (`code id_token` is `id_token code`). */
const responseType = (value: string) => value.split(' ').filter(Boolean).sort().join(' ');

/**
 * `config` with every enforced list narrowed to the server's. Scopes are the exception where the
 * server's list is not complete (Hydra grants any scope a client holds and advertises a few): then
 * the server's scopes are added to Registrar's, so none it advertises is ever dropped.
 */
export function narrowConfig(config: Readonly<ServerConfig>, lists: ServerLists, scopesComplete: boolean): Readonly<ServerConfig> {
  const narrowed: Record<string, unknown> = { ...config };
  for (const { member, property, whenAbsent } of PUBLISHED_PROPERTIES) {
    const theirs = lists[member];
    if (whenAbsent === undefined || theirs === undefined) continue;
    const ours = config[property] as readonly string[];
    if (member === 'scopes_supported' && !scopesComplete) {
      narrowed[property] = Object.freeze([...new Set([...ours, ...theirs])]);
    } else if (member === 'response_types_supported') {
      const known = new Set(theirs.map(responseType));
      narrowed[property] = Object.freeze(ours.filter((value) => known.has(responseType(value))));
    } else {
      narrowed[property] = Object.freeze(ours.filter((value) => theirs.includes(value)));
    }
  }
  return Object.freeze(narrowed) as Readonly<ServerConfig>;
}
