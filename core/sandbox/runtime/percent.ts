// Percent-encoding and -decoding as the WHATWG URL Standard defines them (UTF-8).
import { decodeUtf8, encodeUtf8 } from './encoding.ts';

export const invalid = (input: string): TypeError => new TypeError(`Invalid URL: ${input}`);

/** Encodes C0 controls, non-ASCII and the characters of `set`; `%` is left as it is. */
export function encode(text: string, set: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code > 0x1f && code < 0x7f && !set.includes(char)) out += char;
    else for (const byte of encodeUtf8(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-decoding to bytes, then UTF-8 decoding with replacement characters. */
export function percentDecode(text: string): string {
  const bytes: number[] = [];
  let plain = '';
  const flush = () => {
    if (plain) bytes.push(...encodeUtf8(plain));
    plain = '';
  };
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      flush();
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else plain += text[i];
  }
  flush();
  return decodeUtf8(new Uint8Array(bytes));
}
