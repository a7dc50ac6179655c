// Hosts as the WHATWG URL Standard parses them: IPv6 and IPv4 (with its hex and octal forms),
// opaque hosts of non-special schemes, and domains. International domain names are
// NFC-normalised, lower-cased and punycoded, without the rest of UTS #46's mapping table.
import { encode, invalid, percentDecode } from './percent.ts';

const FORBIDDEN_HOST = /[\0\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\0-\x1f #%/:<>?@[\\\]^|\x7f]/;

function punycode(label: string): string {
  const codes = [...label].map((c) => c.codePointAt(0)!);
  const basic = codes.filter((c) => c < 0x80);
  let out = String.fromCodePoint(...basic);
  let handled = basic.length;
  if (handled > 0) out += '-';
  let n = 128;
  let delta = 0;
  let bias = 72;
  const adapt = (d: number, points: number, first: boolean) => {
    d = first ? Math.floor(d / 700) : d >> 1;
    d += Math.floor(d / points);
    let k = 0;
    for (; d > 455; k += 36) d = Math.floor(d / 35);
    return k + Math.floor((36 * d) / (d + 38));
  };
  const digit = (d: number) => String.fromCharCode(d + 22 + 75 * Number(d < 26));
  while (handled < codes.length) {
    const m = Math.min(...codes.filter((c) => c >= n));
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of codes) {
      if (c < n) delta += 1;
      if (c !== n) continue;
      let q = delta;
      for (let k = 36; ; k += 36) {
        const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
        if (q < t) break;
        out += digit(t + ((q - t) % (36 - t)));
        q = Math.floor((q - t) / (36 - t));
      }
      out += digit(q);
      bias = adapt(delta, handled + 1, handled === basic.length);
      delta = 0;
      handled += 1;
    }
    delta += 1;
    n += 1;
  }
  return `xn--${out}`;
}

function parseIPv4Number(part: string): number {
  if (part === '') return NaN;
  if (/^0[xX]/.test(part)) return part.length === 2 ? 0 : /^0[xX][0-9a-fA-F]+$/.test(part) ? parseInt(part.slice(2), 16) : NaN;
  if (part.length > 1 && part.startsWith('0')) return /^[0-7]+$/.test(part) ? parseInt(part, 8) : NaN;
  return /^\d+$/.test(part) ? Number(part) : NaN;
}

function endsInNumber(host: string): boolean {
  const labels = host.split('.');
  if (labels[labels.length - 1] === '' && labels.length > 1) labels.pop();
  const last = labels[labels.length - 1] ?? '';
  return /^\d+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last);
}

function parseIPv4(host: string, input: string): string {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  const numbers = parts.map(parseIPv4Number);
  if (parts.length > 4 || numbers.some((n) => Number.isNaN(n))) throw invalid(input);
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) throw invalid(input);
  let value = numbers.reduce((sum, n, i) => sum + n * 256 ** (3 - i), 0) + last;
  const octets: number[] = [];
  for (let i = 0; i < 4; i += 1) {
    octets.unshift(value % 256);
    value = Math.floor(value / 256);
  }
  return octets.join('.');
}

function parseIPv6(text: string, input: string): string {
  const pieces: number[] = new Array(8).fill(0);
  let piece = 0;
  let compress: number | null = null;
  let i = 0;
  if (text[0] === ':') {
    if (text[1] !== ':') throw invalid(input);
    i = 2;
    compress = piece = 1;
  }
  while (i < text.length) {
    if (piece === 8) throw invalid(input);
    if (text[i] === ':') {
      if (compress !== null) throw invalid(input);
      i += 1;
      compress = ++piece;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && /[0-9a-fA-F]/.test(text[i] ?? '')) {
      value = value * 16 + parseInt(text[i]!, 16);
      i += 1;
      length += 1;
    }
    if (text[i] === '.') {
      if (length === 0 || piece > 6) throw invalid(input);
      const v4 = parseIPv4(text.slice(i - length), input).split('.').map(Number);
      if (!/^\d+(\.\d+){3}$/.test(text.slice(i - length))) throw invalid(input);
      pieces[piece] = v4[0]! * 256 + v4[1]!;
      pieces[piece + 1] = v4[2]! * 256 + v4[3]!;
      piece += 2;
      i = text.length;
      break;
    }
    if (text[i] === ':') {
      i += 1;
      if (i >= text.length) throw invalid(input);
    } else if (i < text.length) throw invalid(input);
    pieces[piece] = value;
    piece += 1;
  }
  if (compress !== null) {
    const moved = pieces.slice(compress, piece);
    pieces.fill(0, compress);
    pieces.splice(8 - moved.length, moved.length, ...moved);
  } else if (piece !== 8) throw invalid(input);
  // Serialise: the first longest run of two or more zero pieces is compressed.
  let best = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start += 1) {
    let end = start;
    while (end < 8 && pieces[end] === 0) end += 1;
    if (end - start > bestLength) [best, bestLength] = [start, end - start];
  }
  let out = '';
  for (let at = 0; at < 8; at += 1) {
    if (at === best) {
      out += at === 0 ? '::' : ':';
      at += bestLength - 1;
      continue;
    }
    out += pieces[at]!.toString(16) + (at < 7 ? ':' : '');
  }
  return `[${out}]`;
}

export function parseHost(text: string, special: boolean, input: string): string {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw invalid(input);
    return parseIPv6(text.slice(1, -1), input);
  }
  if (!special) {
    if (FORBIDDEN_HOST.test(text)) throw invalid(input);
    return encode(text, '');
  }
  const domain = percentDecode(text).normalize('NFC').toLowerCase();
  const ascii = domain
    .split('.')
    .map((label) => (/[^\0-\x7f]/.test(label) ? punycode(label) : label))
    .join('.');
  if (ascii === '' || FORBIDDEN_DOMAIN.test(ascii)) throw invalid(input);
  return endsInNumber(ascii) ? parseIPv4(ascii, input) : ascii;
}
