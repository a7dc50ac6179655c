// whatwg-url (the URL Standard's reference implementation, UTS #46 hosts through tr46), bundled
// into the isolate by ../runtimeSource.ts as the module `whatwgUrl.js`: `required()` evaluates it
// once and answers its exports, typed here (the isolate has no DOM library, so these are the
// types scripts see).

/** A URL as the WHATWG URL Standard parses and serialises it. */
export declare class URL {
  constructor(url: string, base?: string | URL);
  static canParse(url: string, base?: string | URL): boolean;
  static parse(url: string, base?: string | URL): URL | null;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  readonly searchParams: URLSearchParams;
  hash: string;
  toString(): string;
  toJSON(): string;
}

/** The query of a URL, as application/x-www-form-urlencoded pairs. */
export declare class URLSearchParams {
  constructor(init?: string | string[][] | Record<string, string> | URLSearchParams);
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  toString(): string;
  forEach(callback: (value: string, name: string, parent: URLSearchParams) => void): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/** whatwg-url's exports, evaluated on the first call. */
export declare function required(): { URL: typeof URL; URLSearchParams: typeof URLSearchParams };
