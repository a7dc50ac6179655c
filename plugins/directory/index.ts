// host.directory.validateChain(pem) / host.directory.status(orgId, softwareId) /
// host.directory.participant(orgId): the checks an open-banking directory needs. Chain validation against configured trust anchors (PEM bundle),
// with validity and extended-key-usage checks; status lookups in the software directory over
// the server's outbound rules, cached for cacheTtlSeconds. Another directory's client is another
// plugin beside this one (docs/plugins.md). Bundles are split in linear time and bounded in size;
// the status cache is bounded too. What it keeps (anchors, answers, lists) it keeps per scope, so a
// replay neither reads nor fills the live scripts' copies.
import { X509Certificate } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { definePlugin, messageOf, OutboundError, PluginCallError, type PluginCall } from '../../core/plugin/index.ts';

const Config = Type.Object(
  {
    trustAnchors: Type.Optional(Type.String({ description: 'PEM bundle of the directory CAs (inline).' })),
    trustAnchorsFile: Type.Optional(Type.String({ description: 'File holding the PEM bundle of the directory CAs, named relative to the plugin files folder (DCR_PLUGIN_FILES_DIR).' })),
    statusUrl: Type.Optional(
      Type.String({ description: 'Status lookup URL with {org_id} and {software_id} placeholders; answers JSON with a `status` member.' }),
    ),
    cacheTtlSeconds: Type.Integer({ default: 300, minimum: 0, description: 'How long a status answer is kept.' }),
    participantsUrl: Type.Optional(
      Type.String({ description: "A participants list (Brazil Open Finance's shape: organisations with OrganisationId, Status and OrgDomainRoleClaims[].Role/Status)." }),
    ),
    participantsRefreshSeconds: Type.Integer({ default: 300, minimum: 1, description: 'How often the participants list is fetched again; a failed fetch keeps the last good copy.' }),
    statusLists: Type.Record(
      Type.String(),
      Type.Object(
        {
          url: Type.String(),
          listMember: Type.String({ description: 'The member holding the array (the CDR Register: data).' }),
          idMember: Type.String({ description: 'The identifier member of each entry (e.g. softwareProductId).' }),
          statusMember: Type.String({ description: 'The status member of each entry (e.g. status).' }),
          refreshSeconds: Type.Integer({ default: 300, minimum: 1 }),
          headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'Request headers (the CDR Register wants `x-v`).' }),
        },
        { additionalProperties: false },
      ),
      { default: {}, description: "Named status lists (the CDR Register's software-product and data-recipient status), each fetched again every refreshSeconds; a failed fetch keeps the last good copy." },
    ),
    requireClientAuthUsage: Type.Boolean({ default: true, description: 'Refuse certificates whose extended key usage lacks clientAuth.' }),
  },
  { additionalProperties: false },
);
type DirectoryConfig = Static<typeof Config>;

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const Identifier = Type.String({ minLength: 1, maxLength: 256 });
const MAX_DEPTH = 6;

/** Largest certificate, and largest bundle of intermediates, a script may pass. */
const MAX_CERTIFICATE = 64 * 1024;
const MAX_BUNDLE = 256 * 1024;
/** Status answers kept (least recently used out), and trust-anchor bundles parsed. */
const MAX_STATUS_ENTRIES = 10_000;
const MAX_ANCHOR_BUNDLES = 16;

const anchorCache = new Map<string, X509Certificate[]>();
const statusCache = new Map<string, { value: unknown; expires: number }>();

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/** The certificates of a PEM bundle, found with indexOf (linear; a regex here was quadratic on unterminated markers). */
function splitPem(bundle: string): X509Certificate[] {
  const certificates: X509Certificate[] = [];
  for (let from = bundle.indexOf(BEGIN); from >= 0; ) {
    const end = bundle.indexOf(END, from + BEGIN.length);
    if (end < 0) break;
    certificates.push(new X509Certificate(bundle.slice(from, end + END.length)));
    from = bundle.indexOf(BEGIN, end + END.length);
  }
  return certificates;
}

function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): void {
  cache.delete(key);
  cache.set(key, value);
  for (const oldest of cache.keys()) {
    if (cache.size <= max) break;
    cache.delete(oldest);
  }
}

/** The trust anchors: the inline bundle and the file's (read through the plugin files folder, off the event loop), parsed once per scope. */
async function anchors(call: PluginCall<DirectoryConfig>): Promise<X509Certificate[]> {
  const { config } = call;
  const key = `${call.scope}|${config.trustAnchorsFile ?? ''}|${config.trustAnchors ?? ''}`;
  let found = anchorCache.get(key);
  if (!found) {
    let bundle = config.trustAnchors ?? '';
    if (config.trustAnchorsFile) bundle += await call.services.readFile(config.trustAnchorsFile, MAX_BUNDLE);
    found = splitPem(bundle);
    if (found.length === 0) throw new PluginCallError('no directory trust anchors are configured');
    remember(anchorCache, key, found, MAX_ANCHOR_BUNDLES);
  }
  return found;
}

function withinValidity(certificate: X509Certificate, now: number): boolean {
  return Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo);
}

const issuedBy = (child: X509Certificate, parent: X509Certificate) => child.checkIssued(parent) && child.verify(parent.publicKey);

async function validateChain(args: unknown[], call: PluginCall<DirectoryConfig>): Promise<{ valid: boolean; reason?: string; anchor?: string }> {
  const now = call.services.clock();
  // The anchors first: a configuration that cannot work says so whatever the certificate.
  const trusted = await anchors(call);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(args[0] as string);
  } catch {
    return { valid: false, reason: 'not a certificate' };
  }
  let intermediates: X509Certificate[];
  try {
    intermediates = typeof args[1] === 'string' ? splitPem(args[1]) : [];
  } catch {
    return { valid: false, reason: 'the intermediates are not certificates' };
  }
  if (!withinValidity(leaf, now)) return { valid: false, reason: `the certificate is not valid now (${leaf.validFrom} - ${leaf.validTo})` };
  const usages = (leaf as X509Certificate & { extKeyUsage?: string[] }).extKeyUsage ?? leaf.keyUsage;
  if (call.config.requireClientAuthUsage && Array.isArray(usages) && !usages.includes(CLIENT_AUTH)) {
    return { valid: false, reason: 'the certificate is not for client authentication (extended key usage)' };
  }
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth += 1) {
    const anchor = trusted.find((candidate) => issuedBy(current, candidate));
    if (anchor) {
      if (!withinValidity(anchor, now)) return { valid: false, reason: 'the directory CA certificate is not valid now' };
      return { valid: true, anchor: anchor.subject.split('\n').reverse().join(',') };
    }
    const parent = intermediates.find((candidate) => candidate.ca && issuedBy(current, candidate));
    if (!parent) return { valid: false, reason: 'the certificate is not issued by a trusted directory CA' };
    if (!withinValidity(parent, now)) return { valid: false, reason: 'an intermediate CA certificate is not valid now' };
    current = parent;
  }
  return { valid: false, reason: 'the certificate chain is too long' };
}

async function status(args: unknown[], call: PluginCall<DirectoryConfig>): Promise<unknown> {
  const [orgId, softwareId] = args as [string, string];
  // Identifiers go into a URL path: a dot segment would climb out of the directory's resource.
  for (const [name, value] of [['org_id', orgId], ['software_id', softwareId]] as const) {
    if (value === '.' || value === '..') throw new PluginCallError(`${name} must not be "${value}"`);
  }
  if (!call.config.statusUrl) throw new PluginCallError('no directory statusUrl is configured');
  const url = call.config.statusUrl.replace('{org_id}', encodeURIComponent(orgId)).replace('{software_id}', encodeURIComponent(softwareId));
  const now = call.services.clock();
  const cached = statusCache.get(`${call.scope}|${url}`);
  if (cached && cached.expires > now) return cached.value;
  let value: unknown;
  try {
    value = await call.services.fetchJson(url, call.signal);
  } catch (err) {
    if (err instanceof OutboundError && err.reason === 'http_status' && /404/.test(err.message)) value = { status: 'Unknown' };
    else if (cached) {
      // The directory is down: its last answer stands until it is back.
      call.services.logger.warn({ url, err }, 'the directory status lookup failed; its last answer is used');
      return cached.value;
    } else throw new PluginCallError(`the directory status lookup failed: ${messageOf(err)}`);
  }
  remember(statusCache, `${call.scope}|${url}`, { value, expires: now + call.config.cacheTtlSeconds * 1000 }, MAX_STATUS_ENTRIES);
  return value;
}

/** Directory lists fetched, by URL: the last good copy, indexed by identifier, and when it was fetched. */
const lists = new Map<string, { entries: Map<string, Record<string, unknown>>; fetchedAt: number }>();

/**
 * A directory list indexed by `idMember`, fetched again every `refreshSeconds`; while the
 * directory cannot be had, the last good copy serves (one warning per failed refresh).
 */
async function keptList(
  url: string,
  refreshSeconds: number,
  call: PluginCall<DirectoryConfig>,
  read: (document: unknown) => unknown[],
  idMember: string,
  headers: Record<string, string> = {},
): Promise<{ entries: Map<string, Record<string, unknown>>; ageSeconds: number }> {
  const now = call.services.clock();
  let list = lists.get(`${call.scope}|${url}`);
  if (!list || now - list.fetchedAt >= refreshSeconds * 1000) {
    try {
      const entries = new Map<string, Record<string, unknown>>();
      for (const entry of read(await call.services.fetchJson(url, call.signal, headers))) {
        const id = (entry as Record<string, unknown> | null)?.[idMember];
        if (typeof id === 'string') entries.set(id, entry as Record<string, unknown>);
      }
      list = { entries, fetchedAt: now };
      remember(lists, `${call.scope}|${url}`, list, MAX_ANCHOR_BUNDLES);
    } catch (err) {
      if (!list) throw new PluginCallError(`the directory list ${url} cannot be had and none was fetched before: ${messageOf(err)}`);
      call.services.logger.warn({ url, err }, 'refreshing a directory list failed; the last good copy is used');
    }
  }
  return { entries: list.entries, ageSeconds: Math.floor((now - list.fetchedAt) / 1000) };
}

const ParticipantShape = Type.Object({
  found: Type.Boolean(),
  status: Type.Optional(Type.String()),
  roles: Type.Array(Type.Object({ role: Type.String(), status: Type.String() })),
  /** Seconds since the list this answer comes from was fetched (an older copy when a refresh failed). */
  ageSeconds: Type.Integer(),
});

const arrayOf = (document: unknown): unknown[] => {
  if (!Array.isArray(document)) throw new Error('the list is not a JSON array');
  return document;
};

async function participant(args: unknown[], call: PluginCall<DirectoryConfig>): Promise<Static<typeof ParticipantShape>> {
  const [orgId] = args as [string];
  const url = call.config.participantsUrl;
  if (!url) throw new PluginCallError('no directory participantsUrl is configured');
  const { entries, ageSeconds } = await keptList(url, call.config.participantsRefreshSeconds, call, arrayOf, 'OrganisationId');
  const entry = entries.get(orgId);
  if (!entry) return { found: false, roles: [], ageSeconds };
  const claims = Array.isArray(entry.OrgDomainRoleClaims) ? (entry.OrgDomainRoleClaims as Array<{ Role?: unknown; Status?: unknown }>) : [];
  return {
    found: true,
    ...(typeof entry.Status === 'string' ? { status: entry.Status } : {}),
    roles: claims.filter((claim) => typeof claim.Role === 'string').map((claim) => ({ role: String(claim.Role), status: String(claim.Status ?? '') })),
    ageSeconds,
  };
}

const ListStatusShape = Type.Object({ found: Type.Boolean(), status: Type.Optional(Type.String()), ageSeconds: Type.Integer() });

/** An entry's status in one of the configured status lists (the CDR Register's shape: a member holding an array of {id, status}). */
async function listStatus(args: unknown[], call: PluginCall<DirectoryConfig>): Promise<Static<typeof ListStatusShape>> {
  const [name, id] = args as [string, string];
  const list = call.config.statusLists[name];
  if (!list) throw new PluginCallError(`no status list "${name}" is configured`);
  const read = (document: unknown) => arrayOf((document as Record<string, unknown> | null)?.[list.listMember]);
  const { entries, ageSeconds } = await keptList(list.url, list.refreshSeconds, call, read, list.idMember, list.headers);
  const status = entries.get(id)?.[list.statusMember];
  return { found: entries.has(id), ...(typeof status === 'string' ? { status } : {}), ageSeconds };
}

export const directory = definePlugin('directory', 'Certificate chain checks against the directory trust anchors, and software status lookups in the directory.', Config, {
  validateChain: {
    description: 'Whether the certificate chains to a directory trust anchor, is valid now and is for client authentication.',
    params: { certificatePem: Type.String({ maxLength: MAX_CERTIFICATE }), intermediatesPem: Type.Optional(Type.String({ maxLength: MAX_BUNDLE })) },
    returns: Type.Object({ valid: Type.Boolean(), reason: Type.Optional(Type.String()), anchor: Type.Optional(Type.String()) }),
    run: async (args, call) => validateChain(args, call),
  },
  status: {
    description: "The directory's answer for the software (`{ status: 'Unknown' }` when it has none), cached for cacheTtlSeconds; while the directory is down, its last answer.",
    params: { orgId: Identifier, softwareId: Identifier },
    returns: Type.Object({ status: Type.Optional(Type.String()) }, { additionalProperties: true }),
    run: status,
  },
  listStatus: {
    description: 'The status of `id` in the named status list (statusLists), and the age of the copy it comes from.',
    params: { name: Identifier, id: Identifier },
    returns: ListStatusShape,
    run: listStatus,
  },
  participant: {
    description: "The organisation's entry in the participants list: its Status and its roles with their status (refreshed every participantsRefreshSeconds; the last good copy when a refresh fails).",
    params: { orgId: Identifier },
    returns: ParticipantShape,
    run: participant,
  },
});
