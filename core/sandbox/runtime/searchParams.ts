// URLSearchParams as the WHATWG URL Standard defines it (application/x-www-form-urlencoded), for
// script isolates, which have no web platform of their own.

import { encodeUtf8 } from './encoding.ts';
import { percentDecode } from './percent.ts';

const FORM_SAFE = /[A-Za-z0-9*\-._]/;

export function formEncode(text: string): string {
  let out = '';
  for (const byte of encodeUtf8(text)) {
    const char = String.fromCharCode(byte);
    if (byte === 0x20) out += '+';
    else if (byte < 0x80 && FORM_SAFE.test(char)) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function parseForm(query: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const name = at < 0 ? part : part.slice(0, at);
    const value = at < 0 ? '' : part.slice(at + 1);
    pairs.push([percentDecode(name.replace(/\+/g, ' ')), percentDecode(value.replace(/\+/g, ' '))]);
  }
  return pairs;
}

type Init = string | Iterable<[string, string]> | Record<string, string> | URLSearchParams;

export class URLSearchParams {
  #list: Array<[string, string]> = [];
  /** Told of every change (a URL's searchParams keep its query in step). */
  #onChange: ((query: string) => void) | undefined;

  constructor(init: Init = '') {
    if (typeof init === 'string') this.#list = parseForm(init.startsWith('?') ? init.slice(1) : init);
    else if (init instanceof URLSearchParams) this.#list = [...init.#list];
    else if (typeof (init as Iterable<[string, string]>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<unknown>) {
        const entry = [...(pair as Iterable<unknown>)];
        if (entry.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two members');
        this.#list.push([String(entry[0]), String(entry[1])]);
      }
    } else this.#list = Object.entries(init as Record<string, string>).map(([name, value]) => [name, String(value)]);
  }

  /** Used by URL: replaces the list from a query and reports later changes. */
  static linked(query: string, onChange: (query: string) => void): URLSearchParams {
    const params = new URLSearchParams(query);
    params.#onChange = onChange;
    return params;
  }

  static reset(params: URLSearchParams, query: string): void {
    params.#list = parseForm(query);
  }

  #changed(): void {
    this.#onChange?.(this.toString());
  }

  get size(): number {
    return this.#list.length;
  }
  append(name: string, value: string): void {
    this.#list.push([String(name), String(value)]);
    this.#changed();
  }
  delete(name: string, value?: string): void {
    this.#list = this.#list.filter(([n, v]) => n !== String(name) || (value !== undefined && v !== String(value)));
    this.#changed();
  }
  get(name: string): string | null {
    return this.#list.find(([n]) => n === String(name))?.[1] ?? null;
  }
  getAll(name: string): string[] {
    return this.#list.filter(([n]) => n === String(name)).map(([, v]) => v);
  }
  has(name: string, value?: string): boolean {
    return this.#list.some(([n, v]) => n === String(name) && (value === undefined || v === String(value)));
  }
  set(name: string, value: string): void {
    const at = this.#list.findIndex(([n]) => n === String(name));
    if (at < 0) this.#list.push([String(name), String(value)]);
    else this.#list = [...this.#list.slice(0, at), [String(name), String(value)], ...this.#list.slice(at + 1).filter(([n]) => n !== String(name))];
    this.#changed();
  }
  sort(): void {
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#changed();
  }
  forEach(callback: (value: string, name: string, params: URLSearchParams) => void): void {
    for (const [name, value] of this.#list) callback(value, name, this);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const [name, value] of this.#list) yield [name, value];
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.#list) yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.#list) yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  toString(): string {
    return this.#list.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`).join('&');
  }
}
