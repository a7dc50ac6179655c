// UTF-8 (TextEncoder, TextDecoder) and base64 (atob, btoa) as the web platform defines them, for
// script isolates, which have no web platform of their own.

/** UTF-8 bytes of `text`; lone surrogates become U+FFFD, as the Encoding Standard says. */
export function encodeUtf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i += 1;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return new Uint8Array(bytes);
}

/** Decodes UTF-8; a malformed sequence becomes U+FFFD (or throws when `fatal`). */
export function decodeUtf8(bytes: Uint8Array, fatal = false): string {
  let out = '';
  const bad = () => {
    if (fatal) throw new TypeError('The encoded data was not valid UTF-8');
    out += '\uFFFD';
  };
  for (let i = 0; i < bytes.length; ) {
    const first = bytes[i]!;
    const need = first < 0x80 ? 0 : first >= 0xc2 && first <= 0xdf ? 1 : first >= 0xe0 && first <= 0xef ? 2 : first >= 0xf0 && first <= 0xf4 ? 3 : -1;
    if (need < 0) {
      bad();
      i += 1;
      continue;
    }
    let code = need === 0 ? first : first & (0x3f >> need);
    let read = 1;
    for (; read <= need; read += 1) {
      const byte = bytes[i + read];
      const lower = read === 1 ? (first === 0xe0 ? 0xa0 : first === 0xf0 ? 0x90 : 0x80) : 0x80;
      const upper = read === 1 ? (first === 0xed ? 0x9f : first === 0xf4 ? 0x8f : 0xbf) : 0xbf;
      if (byte === undefined || byte < lower || byte > upper) break;
      code = (code << 6) | (byte & 0x3f);
    }
    if (read <= need) {
      bad();
      i += read;
      continue;
    }
    out += String.fromCodePoint(code);
    i += need + 1;
  }
  return out;
}

export class TextEncoder {
  get encoding(): string {
    return 'utf-8';
  }
  encode(input = ''): Uint8Array {
    return encodeUtf8(String(input));
  }
  encodeInto(input: string, destination: Uint8Array): { read: number; written: number } {
    let read = 0;
    let written = 0;
    for (const char of String(input)) {
      const bytes = encodeUtf8(char);
      if (written + bytes.length > destination.length) break;
      destination.set(bytes, written);
      written += bytes.length;
      read += char.length;
    }
    return { read, written };
  }
}

export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!['utf-8', 'utf8', 'unicode-1-1-utf-8'].includes(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: only utf-8 is available here, not "${label}"`);
    }
    this.#fatal = options.fatal === true;
    this.#ignoreBOM = options.ignoreBOM === true;
  }
  get encoding(): string {
    return 'utf-8';
  }
  get fatal(): boolean {
    return this.#fatal;
  }
  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }
  decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (input === undefined) return '';
    const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    const text = decodeUtf8(bytes, this.#fatal);
    return !this.#ignoreBOM && text.startsWith('\uFEFF') ? text.slice(1) : text;
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The error atob and btoa throw (a DOMException named InvalidCharacterError in browsers). */
function invalidCharacter(message: string): Error {
  return Object.assign(new Error(message), { name: 'InvalidCharacterError' });
}

export function btoa(data: unknown): string {
  const text = String(data);
  let out = '';
  for (let i = 0; i < text.length; i += 3) {
    const codes = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
    if (codes.some((code) => code > 0xff)) throw invalidCharacter('btoa: the string contains characters outside of the Latin1 range');
    const [a = 0, b, c] = codes;
    out += ALPHABET[a >> 2]! + ALPHABET[((a & 3) << 4) | ((b || 0) >> 4)]!;
    out += Number.isNaN(b) ? '=' : ALPHABET[(((b ?? 0) & 15) << 2) | ((c || 0) >> 6)]!;
    out += Number.isNaN(c) || Number.isNaN(b) ? '=' : ALPHABET[(c ?? 0) & 63]!;
  }
  return out;
}

export function atob(data: unknown): string {
  let text = String(data).replace(/[\t\n\f\r ]/g, '');
  if (text.length % 4 === 0) text = text.replace(/==?$/, '');
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) throw invalidCharacter('atob: the string is not correctly encoded');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    buffer = (buffer << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 0xff);
    }
  }
  return out;
}
