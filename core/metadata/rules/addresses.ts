// URIs that this server or the authorization server will dereference later (jwks_uri,
// sector_identifier_uri, request_uris, back-channel endpoints) must point at public addresses:
// a client must not make either server reach into a private network (cloud metadata at
// 169.254.169.254, an internal admin port). The host is judged as written and, when it is a name,
// by every address it resolves to, on Registrar's own resolver (core/net/resolver.ts): every host
// at once, each bounded by dnsTimeoutMs, answers cached for their TTL. A name that does not exist
// has no address to reach and passes (the background re-check judges it again); a name with no
// complete answer in time refuses the registration, since silence must never pass for public.
// outboundAllowPrivateAddresses relaxes this.
import { InvalidClientMetadata, TemporarilyUnavailable } from '../../errors/index.ts';
import { isIP } from 'node:net';
import { clientNames, isPrivateAddress, type Resolution } from '../../net/index.ts';
import { FIELDS, type ClientMetadata } from '../fields.ts';
import type { RuleContext } from './context.ts';

/** Distinct hosts one registration may have resolved (request_uris may be many). */
export const MAX_HOSTS = 16;

const DEREFERENCED = [...FIELDS].filter(([, schema]) => schema['x-uri'] === 'fetched').map(([name]) => name);

/** Each host a client's dereferenced URIs name, with the first member that names it. */
export function dereferencedHosts(metadata: ClientMetadata): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const member of DEREFERENCED) {
    const value = metadata[member];
    for (const uri of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      const host = new URL(uri as string).hostname.replace(/^\[|\]$/g, '');
      if (!hosts.has(host)) hosts.set(host, member);
    }
  }
  return hosts;
}

export async function addresses(metadata: ClientMetadata, { config, outbound, offline }: RuleContext): Promise<void> {
  if (config.outboundAllowPrivateAddresses) return;
  const hosts = dereferencedHosts(metadata);
  if (hosts.size === 0) return;
  if (hosts.size > MAX_HOSTS) throw new InvalidClientMetadata(`the URIs servers dereference name ${hosts.size} hosts; at most ${MAX_HOSTS} are accepted`);
  const resolver = clientNames.configure(outbound.dns);
  // Offline, only what is written is judged (addresses, localhost names); names are not resolved.
  const resolve = async (host: string): Promise<Resolution> => (offline && isIP(host) === 0 && !/(^|\.)localhost$/.test(host.replace(/\.$/, '')) ? { kind: 'none' } : resolver.resolve(host));
  const judged = await Promise.all([...hosts].map(async ([host, member]) => ({ member, resolution: await resolve(host) })));
  // What resolved to a private address is refused whatever else stayed unknown; the client learns which member, not what it resolved to.
  const refused = judged.find(({ resolution }) => resolution.kind === 'addresses' && resolution.addresses.some(isPrivateAddress));
  if (refused) throw new InvalidClientMetadata(`${refused.member} must point at a public address`);
  for (const { member, resolution } of judged) {
    if (resolution.kind !== 'unknown') continue;
    if (resolution.reason === 'timeout') {
      throw new InvalidClientMetadata(`the host of ${member} did not resolve within ${outbound.dns.timeoutMs} ms, so it cannot be judged; nothing was registered: retry later`);
    }
    throw new TemporarilyUnavailable("the hosts of the client's URIs cannot be resolved now; nothing was registered: retry later");
  }
}
