// IP addresses: lists of networks (trusted proxies), and the addresses a server-side fetch must
// not reach by default: loopback, private, link-local,
// carrier-grade NAT, multicast, reserved and the IPv6 equivalents (RFC 6890 special purpose).
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
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) as the IPv4 address it carries; others as they are. */
export function unmapped(address: string): string {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}

const familyOf = (address: string) => (isIPv4(address) ? 'ipv4' : 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const plain = unmapped(address);
  return blocked.check(plain, familyOf(plain));
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
