// IP addresses: lists of networks (trusted proxies), and the addresses a server-side fetch must
// not reach by default: loopback, private, link-local, carrier-grade NAT, multicast, reserved and
// the IPv6 equivalents (RFC 6890 special purpose, and the deprecated site-local fec0::/10).
import { BlockList, isIP, isIPv4 } from 'node:net';

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) as the IPv4 address it carries; others as they are. */
export function unmapped(address: string): string {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}

const familyOf = (address: string) => (isIPv4(address) ? 'ipv4' : 'ipv6');

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail allowed), or undefined. */
function hextets(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 1) return undefined;
  const groups = [...left, ...(tail === undefined ? [] : Array(missing).fill('0')), ...right].map((group) => parseInt(group, 16));
  return groups.length === 8 && groups.every((group) => group >= 0 && group <= 0xffff) ? groups : undefined;
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * The IPv4 address an IPv6 address carries, judged in its place: IPv4-mapped (::ffff:0:0/96),
 * IPv4-translated (SIIT, ::ffff:0:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96) and
 * 6to4 (2002::/16). Teredo (2001::/32) hides its client address behind an XOR and a relay: it is
 * refused outright.
 */
function embeddedIPv4(address: string): string | 'refused' | undefined {
  const groups = hextets(address);
  if (!groups) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const zeros = (...values: number[]) => values.every((value) => value === 0);
  if (zeros(g0, g1, g2, g3, g4) && (g5 === 0xffff || (g5 === 0 && (g6 !== 0 || g7 > 1)))) return ipv4Of(g6, g7);
  if (zeros(g0, g1, g2, g3, g5) && g4 === 0xffff) return ipv4Of(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g2, g3, g4, g5)) return ipv4Of(g6, g7);
  if (g0 === 0x2002) return ipv4Of(g1, g2);
  if (g0 === 0x2001 && g1 === 0) return 'refused';
  return undefined;
}

export function isPrivateAddress(address: string): boolean {
  const plain = unmapped(address);
  if (isIPv4(plain)) return blocked.check(plain, 'ipv4');
  const carried = embeddedIPv4(plain);
  if (carried === 'refused') return true;
  if (carried !== undefined && blocked.check(carried, 'ipv4')) return true;
  return blocked.check(plain, 'ipv6');
}

/** An address or CIDR (`10.0.0.0/8`, `::1`), or undefined when it is neither. */
export function parseCidr(text: string): { address: string; prefix: number | undefined; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefix] = text.split('/');
  const version = isIP(address);
  if (!version) return undefined;
  if (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= (version === 6 ? 128 : 32))) return undefined;
  return { address, prefix: prefix === undefined ? undefined : Number(prefix), family: version === 6 ? 'ipv6' : 'ipv4' };
}

const lists = new WeakMap<readonly string[], BlockList>();

/** Whether `address` lies in one of `cidrs` (validated when the configuration was built). */
export function inAddressList(address: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return false;
  let list = lists.get(cidrs);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (!parsed) continue;
      if (parsed.prefix === undefined) list.addAddress(parsed.address, parsed.family);
      else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    lists.set(cidrs, list);
  }
  const plain = unmapped(address);
  return isIP(plain) !== 0 && list.check(plain, familyOf(plain));
}
