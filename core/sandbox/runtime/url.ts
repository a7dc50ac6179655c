// URL as the WHATWG URL Standard defines it, for script isolates, which have no web platform of
// their own. Parsing runs inside the isolate (no call to the host), so it costs the script, not
// the server. Hosts are parsed in hosts.ts.
import { parseHost } from './hosts.ts';
import { encode, invalid } from './percent.ts';
import { URLSearchParams } from './searchParams.ts';

const SPECIAL_PORTS: Record<string, number | null> = { ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };
const isSpecial = (scheme: string) => Object.hasOwn(SPECIAL_PORTS, scheme);

// Percent-encode sets: what must be encoded besides C0 controls and non-ASCII.
const FRAGMENT_SET = ' "<>`';
const QUERY_SET = ' "#<>';
const SPECIAL_QUERY_SET = `${QUERY_SET}'`;
const PATH_SET = `${QUERY_SET}?^\`{}`;
const USERINFO_SET = `${PATH_SET}/:;=@[\\]|`;

interface Parts {
  scheme: string;
  username: string;
  password: string;
  host: string | null;
  port: number | null;
  /** Segments, or a string for an opaque path (`mailto:x`). */
  path: string[] | string;
  query: string | null;
  fragment: string | null;
}


// --- paths

const isSingleDot = (s: string) => s === '.' || s.toLowerCase() === '%2e';
const isDoubleDot = (s: string) => ['..', '.%2e', '%2e.', '%2e%2e'].includes(s.toLowerCase());

/** Appends the segments of `text` (relative to `path`) with dot segments resolved. */
function appendPath(path: string[], text: string, special: boolean): string[] {
  const segments = special ? text.split(/[/\\]/) : text.split('/');
  const out = [...path];
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (isDoubleDot(segment)) {
      if (out.length > 0 && !(out.length === 1 && /^[A-Za-z]:$/.test(out[0]!) && special)) out.pop();
      if (last) out.push('');
    } else if (isSingleDot(segment)) {
      if (last) out.push('');
    } else out.push(encode(segment, PATH_SET));
  });
  return out;
}

// --- the parser

function splitTail(rest: string): { path: string; query: string | null; fragment: string | null } {
  const hash = rest.indexOf('#');
  const fragment = hash < 0 ? null : rest.slice(hash + 1);
  const beforeHash = hash < 0 ? rest : rest.slice(0, hash);
  const mark = beforeHash.indexOf('?');
  return { path: mark < 0 ? beforeHash : beforeHash.slice(0, mark), query: mark < 0 ? null : beforeHash.slice(mark + 1), fragment };
}

function withTail(parts: Omit<Parts, 'query' | 'fragment'>, query: string | null, fragment: string | null): Parts {
  const querySet = isSpecial(parts.scheme) ? SPECIAL_QUERY_SET : QUERY_SET;
  return { ...parts, query: query === null ? null : encode(query, querySet), fragment: fragment === null ? null : encode(fragment, FRAGMENT_SET) };
}

/** `rest` starts at the authority (slashes already skipped). */
function parseAuthority(scheme: string, rest: string, input: string): Parts {
  const special = isSpecial(scheme);
  const end = rest.search(special ? /[/\\?#]/ : /[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const after = end < 0 ? '' : rest.slice(end);
  const at = authority.lastIndexOf('@');
  const credentials = at < 0 ? '' : authority.slice(0, at);
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  const colon = credentials.indexOf(':');
  const username = encode(colon < 0 ? credentials : credentials.slice(0, colon), USERINFO_SET);
  const password = colon < 0 ? '' : encode(credentials.slice(colon + 1), USERINFO_SET);
  const bracket = hostPort.lastIndexOf(']');
  const portAt = hostPort.lastIndexOf(':');
  const hasPort = portAt > bracket;
  const hostText = hasPort ? hostPort.slice(0, portAt) : hostPort;
  const portText = hasPort ? hostPort.slice(portAt + 1) : '';
  if (!/^\d*$/.test(portText)) throw invalid(input);
  let port = portText === '' ? null : Number(portText);
  if (port !== null && port > 65535) throw invalid(input);
  if (port === SPECIAL_PORTS[scheme]) port = null;
  let host: string;
  if (scheme === 'file') {
    if (at >= 0 || hasPort) throw invalid(input);
    host = hostText === '' ? '' : parseHost(hostText, true, input);
    if (host === 'localhost') host = '';
  } else {
    if (hostText === '' && (special || at >= 0 || hasPort)) throw invalid(input);
    host = hostText === '' ? '' : parseHost(hostText, special, input);
  }
  const tail = splitTail(after);
  // What follows the authority starts with a slash, or is empty.
  const path = tail.path === '' ? (special ? [''] : []) : appendPath([], tail.path.slice(1), special);
  return withTail({ scheme, username, password, host, port, path }, tail.query, tail.fragment);
}

function parseRelative(scheme: string, rest: string, base: Parts, input: string): Parts {
  const special = isSpecial(scheme);
  const slash = special ? /^[/\\]/ : /^\//;
  if (slash.test(rest) && slash.test(rest.slice(1))) return parseAuthority(scheme, rest.replace(special ? /^[/\\]+/ : /^\/\//, ''), input);
  const { username, password, host, port } = base;
  const basePath = base.path as string[];
  const tail = splitTail(rest);
  let path: string[];
  if (slash.test(tail.path)) path = appendPath([], tail.path.slice(1), special);
  else if (tail.path === '') path = basePath;
  else path = appendPath(basePath.slice(0, -1), tail.path, special);
  // Nothing but a fragment (or nothing at all) keeps the base's query.
  const inherited = tail.path === '' && tail.query === null;
  const parts = withTail({ scheme, username, password, host, port, path }, inherited ? null : tail.query, tail.fragment);
  return inherited ? { ...parts, query: base.query } : parts;
}

function parse(raw: string, base: Parts | undefined): Parts {
  const input = raw.replace(/^[\0- ]+|[\0- ]+$/g, '').replace(/[\t\n\r]/g, '');
  const schemed = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(input);
  if (!schemed) {
    if (!base) throw invalid(raw);
    if (typeof base.path === 'string') {
      if (!input.startsWith('#')) throw invalid(raw);
      return { ...base, fragment: encode(input.slice(1), FRAGMENT_SET) };
    }
    return parseRelative(base.scheme, input, base, raw);
  }
  const scheme = schemed[1]!.toLowerCase();
  const rest = input.slice(schemed[0].length);
  if (isSpecial(scheme)) {
    if (base && base.scheme === scheme && !/^[/\\]/.test(rest) && typeof base.path !== 'string') return parseRelative(scheme, rest, base, raw);
    if (scheme === 'file') {
      if (/^[/\\]{2}/.test(rest)) return parseAuthority(scheme, rest.slice(2), raw);
      const tail = splitTail(rest);
      return withTail({ scheme, username: '', password: '', host: '', port: null, path: appendPath([], tail.path.replace(/^[/\\]/, ''), true) }, tail.query, tail.fragment);
    }
    return parseAuthority(scheme, rest.replace(/^[/\\]*/, ''), raw);
  }
  if (rest.startsWith('//')) return parseAuthority(scheme, rest.slice(2), raw);
  const tail = splitTail(rest);
  if (rest.startsWith('/')) return withTail({ scheme, username: '', password: '', host: null, port: null, path: appendPath([], tail.path.slice(1), false) }, tail.query, tail.fragment);
  return withTail({ scheme, username: '', password: '', host: null, port: null, path: encode(tail.path, '') }, tail.query, tail.fragment);
}

function pathname(parts: Parts): string {
  return typeof parts.path === 'string' ? parts.path : parts.path.map((segment) => `/${segment}`).join('');
}

function serialize(parts: Parts): string {
  let out = `${parts.scheme}:`;
  if (parts.host !== null) {
    out += '//';
    if (parts.username || parts.password) out += `${parts.username}${parts.password ? `:${parts.password}` : ''}@`;
    out += parts.host + (parts.port === null ? '' : `:${parts.port}`);
  } else if (typeof parts.path !== 'string' && parts.path.length > 1 && parts.path[0] === '') out += '/.';
  out += pathname(parts);
  if (parts.query !== null) out += `?${parts.query}`;
  if (parts.fragment !== null) out += `#${parts.fragment}`;
  return out;
}

export class URL {
  #parts: Parts;
  #searchParams: URLSearchParams | undefined;

  constructor(input: string | URL, base?: string | URL) {
    const baseParts = base === undefined ? undefined : new URL(String(base)).#parts;
    this.#parts = parse(String(input), baseParts);
  }

  static canParse(input: string, base?: string): boolean {
    try {
      new URL(input, base);
      return true;
    } catch {
      return false;
    }
  }

  static parse(input: string, base?: string): URL | null {
    try {
      return new URL(input, base);
    } catch {
      return null;
    }
  }

  #update(parts: Parts): void {
    this.#parts = parts;
    if (this.#searchParams) URLSearchParams.reset(this.#searchParams, parts.query ?? '');
  }

  get href(): string {
    return serialize(this.#parts);
  }
  set href(value: string) {
    this.#update(parse(String(value), undefined));
  }
  get origin(): string {
    const { scheme, host, port } = this.#parts;
    return isSpecial(scheme) && scheme !== 'file' ? `${scheme}://${host}${port === null ? '' : `:${port}`}` : 'null';
  }
  get protocol(): string {
    return `${this.#parts.scheme}:`;
  }
  set protocol(value: string) {
    const scheme = String(value).replace(/:.*$/, '').toLowerCase();
    if (!/^[a-z][a-z0-9+\-.]*$/.test(scheme) || isSpecial(scheme) !== isSpecial(this.#parts.scheme)) return;
    if (scheme === 'file' && (this.#parts.username || this.#parts.password || this.#parts.port !== null)) return;
    const port = this.#parts.port === SPECIAL_PORTS[scheme] ? null : this.#parts.port;
    this.#update({ ...this.#parts, scheme, port });
  }
  get username(): string {
    return this.#parts.username;
  }
  set username(value: string) {
    if (this.#parts.host && this.#parts.scheme !== 'file') this.#update({ ...this.#parts, username: encode(String(value), USERINFO_SET) });
  }
  get password(): string {
    return this.#parts.password;
  }
  set password(value: string) {
    if (this.#parts.host && this.#parts.scheme !== 'file') this.#update({ ...this.#parts, password: encode(String(value), USERINFO_SET) });
  }
  get host(): string {
    const { host, port } = this.#parts;
    return host === null ? '' : host + (port === null ? '' : `:${port}`);
  }
  set host(value: string) {
    if (typeof this.#parts.path === 'string') return;
    try {
      const parsed = parse(`${this.#parts.scheme}://${String(value).split(/[/?#]/)[0]}`, undefined);
      this.#update({ ...this.#parts, host: parsed.host, port: parsed.port ?? (String(value).includes(':') ? null : this.#parts.port) });
    } catch {
      // an invalid host leaves the URL as it is
    }
  }
  get hostname(): string {
    return this.#parts.host ?? '';
  }
  set hostname(value: string) {
    if (typeof this.#parts.path === 'string') return;
    try {
      const parsed = parse(`${this.#parts.scheme}://${String(value).split(/[:/?#]/)[0]}`, undefined);
      this.#update({ ...this.#parts, host: parsed.host });
    } catch {
      // an invalid host leaves the URL as it is
    }
  }
  get port(): string {
    return this.#parts.port === null ? '' : String(this.#parts.port);
  }
  set port(value: string | number) {
    if (!this.#parts.host || this.#parts.scheme === 'file') return;
    const digits = /^\d*/.exec(String(value))![0];
    if (digits === '') {
      if (String(value) === '') this.#update({ ...this.#parts, port: null });
      return;
    }
    const port = Number(digits);
    if (port <= 65535) this.#update({ ...this.#parts, port: port === SPECIAL_PORTS[this.#parts.scheme] ? null : port });
  }
  get pathname(): string {
    return pathname(this.#parts);
  }
  set pathname(value: string) {
    if (typeof this.#parts.path === 'string') return;
    const special = isSpecial(this.#parts.scheme);
    const text = String(value).replace(special ? /^[/\\]/ : /^\//, '');
    this.#update({ ...this.#parts, path: appendPath([], text, special) });
  }
  get search(): string {
    return this.#parts.query ? `?${this.#parts.query}` : '';
  }
  set search(value: string) {
    const text = String(value).replace(/^\?/, '');
    this.#update(text === '' ? { ...this.#parts, query: null } : withTail(this.#parts, text, this.#parts.fragment));
  }
  get searchParams(): URLSearchParams {
    this.#searchParams ??= URLSearchParams.linked(this.#parts.query ?? '', (query) => {
      this.#parts = { ...this.#parts, query: query === '' ? null : query };
    });
    return this.#searchParams;
  }
  get hash(): string {
    return this.#parts.fragment ? `#${this.#parts.fragment}` : '';
  }
  set hash(value: string) {
    const text = String(value).replace(/^#/, '');
    this.#update({ ...this.#parts, fragment: text === '' ? null : encode(text, FRAGMENT_SET) });
  }
  toString(): string {
    return this.href;
  }
  toJSON(): string {
    return this.href;
  }
}
