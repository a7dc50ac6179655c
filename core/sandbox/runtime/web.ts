// The web globals a script isolate gets (V8 alone has none of them): URL and URLSearchParams
// (whatwg-url, bundled), TextEncoder, TextDecoder, atob, btoa and structuredClone, installed as a
// browser has them (writable, configurable, not enumerable).
import { atob, btoa, TextDecoder, TextEncoder } from './encoding.ts';
import { required } from './whatwgUrl.js';
import type { WEB_GLOBAL_KINDS } from './webGlobalKinds.ts';

/** The error structuredClone throws for what cannot be cloned (a DOMException named DataCloneError in browsers). */
const dataCloneError = (what: string) => Object.assign(new Error(`${what} could not be cloned`), { name: 'DataCloneError' });

const cloneBuffer = (buffer: ArrayBuffer, seen: Map<unknown, unknown>): ArrayBuffer => {
  let copy = seen.get(buffer) as ArrayBuffer | undefined;
  if (!copy) seen.set(buffer, (copy = buffer.slice(0)));
  return copy;
};

/** The structured clone algorithm for the values a script handles: JSON-like data, dates, maps, sets, binary data, errors; cycles kept. */
export function structuredClone<T>(value: T): T {
  const seen = new Map<unknown, unknown>();
  const clone = (input: unknown): unknown => {
    if (typeof input === 'function' || typeof input === 'symbol') throw dataCloneError(String(input));
    if (input === null || typeof input !== 'object') return input;
    if (seen.has(input)) return seen.get(input);
    const remember = <V>(copy: V): V => (seen.set(input, copy), copy);
    if (input instanceof Date) return remember(new Date(input.getTime()));
    if (input instanceof RegExp) return remember(new RegExp(input.source, input.flags));
    if (input instanceof ArrayBuffer) return cloneBuffer(input, seen);
    if (ArrayBuffer.isView(input)) {
      const View = input.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => ArrayBufferView;
      const length = input instanceof DataView ? input.byteLength : (input as unknown as { length: number }).length;
      return remember(new View(cloneBuffer(input.buffer as ArrayBuffer, seen), input.byteOffset, length));
    }
    if (input instanceof Map) {
      const copy = remember(new Map());
      for (const [k, v] of input) copy.set(clone(k), clone(v));
      return copy;
    }
    if (input instanceof Set) {
      const copy = remember(new Set());
      for (const v of input) copy.add(clone(v));
      return copy;
    }
    if (input instanceof Error) {
      const copy = remember(new Error(input.message));
      copy.name = input.name;
      if (input.stack) copy.stack = input.stack;
      return copy;
    }
    if (Array.isArray(input)) {
      const copy = remember(new Array(input.length));
      input.forEach((item, index) => (copy[index] = clone(item)));
      return copy;
    }
    const prototype = Object.getPrototypeOf(input);
    if (prototype !== Object.prototype && prototype !== null) throw dataCloneError(`an object of class ${String(prototype?.constructor?.name)}`);
    const copy = remember({} as Record<string, unknown>);
    for (const key of Object.keys(input)) copy[key] = clone((input as Record<string, unknown>)[key]);
    return copy;
  };
  return clone(value) as T;
}

/** The globals, each read when first reached: whatwg-url is evaluated only for a script that uses it. */
const WEB_GLOBALS = {
  URL: () => required().URL,
  URLSearchParams: () => required().URLSearchParams,
  TextEncoder: () => TextEncoder,
  TextDecoder: () => TextDecoder,
  atob: () => atob,
  btoa: () => btoa,
  structuredClone: () => structuredClone,
} as const satisfies Record<keyof typeof WEB_GLOBAL_KINDS, () => unknown>;

export function installWebGlobals(target: object): void {
  const define = (name: string, value: unknown) => Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  for (const [name, read] of Object.entries(WEB_GLOBALS)) {
    // Reached (or replaced) once, it becomes the plain property a browser has.
    Object.defineProperty(target, name, {
      get() {
        const value = read();
        define(name, value);
        return value;
      },
      set: (value: unknown) => define(name, value),
      configurable: true,
      enumerable: false,
    });
  }
}

// What the script types (scripts/registrar.d.ts) name the globals by.
export { atob, btoa, TextDecoder, TextEncoder };
export type { URL, URLSearchParams } from './whatwgUrl.js';
