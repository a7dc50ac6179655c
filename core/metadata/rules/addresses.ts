// URIs that this server or the authorization server will dereference later (jwks_uri,
// sector_identifier_uri, request_uris, back-channel endpoints) must point at public addresses:
// a client must not make either server reach into a private network (cloud metadata at
// 169.254.169.254, an internal admin port). The host is judged as written and, when it is a name
// that resolves, by every address it resolves to. outboundAllowPrivateAddresses relaxes this.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { InvalidClientMetadata } from '../../errors/index.ts';
import { isPrivateAddress } from '../../net/index.ts';
import { FIELDS, type ClientMetadata } from '../fields.ts';
import type { RuleContext } from './context.ts';

/** Longest wait for a name to resolve; an unresolvable name is not refused here (it fails when used). */
const LOOKUP_TIMEOUT_MS = 2000;

const DEREFERENCED = [...FIELDS].filter(([, schema]) => schema['x-uri'] === 'fetched').map(([name]) => name);

async function resolvesPrivate(hostname: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS)));
  try {
    const found = await Promise.race([lookup(hostname, { all: true }).catch(() => undefined), timeout]);
    return (found ?? []).some(({ address }) => isPrivateAddress(address));
  } finally {
    clearTimeout(timer);
  }
}

export async function addresses(metadata: ClientMetadata, { config }: RuleContext): Promise<void> {
  if (config.outboundAllowPrivateAddresses) return;
  for (const member of DEREFERENCED) {
    const value = metadata[member];
    for (const uri of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      const host = new URL(uri as string).hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(host) ? isPrivateAddress(host) : await resolvesPrivate(host);
      if (refused) throw new InvalidClientMetadata(`${member} must point at a public address`);
    }
  }
}
