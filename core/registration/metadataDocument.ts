// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, as the MCP
// specification of 2026-07-28 uses them): a client_id that is an https URL names a JSON document
// of the client's metadata. Registrar fetches it through the outbound module (https only, no
// private addresses, no redirects, a byte cap and a timeout, the connection made to the address
// that was vetted), checks it per the draft, runs it through the same validation and the same
// policy hooks as a registration (the context says it is a metadata document), and stores the
// resulting public client, at a connected authorization server too. It is fetched again per HTTP
// caching (max-age clamped to configured bounds); a failed refresh keeps the last good version
// until its hard expiry.
import type { ServerConfig } from '../config/index.ts';
import { ChangedMeanwhile, InvalidRequest, OAuthError } from '../errors/index.ts';
import { pickMetadata, type ClientMetadata } from '../metadata/index.ts';
import { get, OutboundError, outboundPolicy } from '../outbound/index.ts';
import type { RequestPolicy } from '../policy/index.ts';
import { hashToken, newRegistrationAccessToken } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { admit } from './admission.ts';
import { draftClient } from './draft.ts';
import type { RegistrationServices } from './services.ts';
import { newRecord, revisedRecord } from './credentials.ts';

/** invalid_client (400): the document cannot be had, or does not make a client. */
const invalidClient = (description: string) => new OAuthError('invalid_client', description, { status: 400 });

/** The URL rules of the draft: https, a path, no fragment, no user information, no dot segments; no query unless allowed. */
export function checkClientIdUrl(clientId: string, config: ServerConfig): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new InvalidRequest('client_id is not a URL');
  }
  if (url.href !== clientId) throw new InvalidRequest('client_id must be a URL in its normal form (no dot segments, no default port, lower-case scheme and host)');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && config.outboundAllowHttp)) throw new InvalidRequest('client_id must be an https URL');
  if (url.username || url.password) throw new InvalidRequest('client_id must not carry user information');
  if (url.hash || clientId.includes('#')) throw new InvalidRequest('client_id must not have a fragment');
  if (url.search && !config.clientIdMetadataDocumentAllowQuery) throw new InvalidRequest('client_id must not have a query');
  if (url.pathname === '/' || url.pathname === '') throw new InvalidRequest('client_id must have a path');
  return url;
}

const SHARED_SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

/** The draft's rules on the document itself. */
function checkDocument(document: unknown, clientId: string): Record<string, unknown> {
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw invalidClient('the metadata document is not a JSON object');
  const fields = document as Record<string, unknown>;
  if (fields.client_id !== clientId) throw invalidClient('the metadata document\'s client_id is not exactly the URL it was fetched from');
  if (typeof fields.client_name !== 'string' || fields.client_name === '') throw invalidClient('the metadata document has no client_name');
  if (!Array.isArray(fields.redirect_uris) || fields.redirect_uris.length === 0) throw invalidClient('the metadata document has no redirect_uris');
  if ('client_secret' in fields || 'client_secret_expires_at' in fields) throw invalidClient('a metadata document must not carry a client secret');
  if (SHARED_SECRET_METHODS.has(String(fields.token_endpoint_auth_method))) throw invalidClient(`token_endpoint_auth_method ${String(fields.token_endpoint_auth_method)} needs a shared secret, which a metadata document cannot have`);
  return fields;
}

/** A rule's pattern as a regular expression: `**` anything, `*` within a segment or label. */
const patternOf = (pattern: string) =>
  new RegExp(`^${pattern.split('**').map((part) => part.split('*').map((text) => text.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('[^/.?#]*')).join('.*')}$`);

const LISTS = new Set(['grant_types', 'response_types']);

/** The server-assigned metadata of the first rule the URL matches, applied over the document. */
function routed(document: Record<string, unknown>, clientId: string, config: ServerConfig): Record<string, unknown> {
  const rules = config.clientIdMetadataDocumentRules;
  if (rules.length === 0) return document;
  const rule = rules.find((candidate) => patternOf(candidate.match).test(clientId));
  if (!rule) throw invalidClient('no metadata document rule admits this client_id');
  const result = { ...document };
  for (const [member, assigned] of Object.entries(rule.metadata)) {
    if (LISTS.has(member) && Array.isArray(assigned)) {
      const asked = Array.isArray(document[member]) ? (document[member] as unknown[]) : assigned;
      result[member] = asked.filter((value) => assigned.includes(value));
    } else if (member === 'scope' && typeof assigned === 'string') {
      const allowed = assigned.split(' ');
      const asked = typeof document.scope === 'string' ? document.scope.split(' ') : allowed;
      result.scope = asked.filter((scope) => allowed.includes(scope)).join(' ');
    } else {
      result[member] = assigned;
    }
  }
  return result;
}

/** Seconds the document may be used before it is fetched again: its max-age, within the configured bounds. */
function freshFor(cacheControl: string | undefined, config: ServerConfig): number {
  const maxAge = /\bmax-age=(\d+)/i.exec(cacheControl ?? '')?.[1];
  const asked = /\bno-(store|cache)\b/i.test(cacheControl ?? '') ? 0 : maxAge === undefined ? config.clientIdMetadataDocumentMinCacheSeconds : Number(maxAge);
  return Math.min(config.clientIdMetadataDocumentMaxCacheSeconds, Math.max(config.clientIdMetadataDocumentMinCacheSeconds, asked));
}

async function fetchDocument(url: string, config: ServerConfig): Promise<{ document: unknown; cacheControl: string | undefined }> {
  const policy = { ...outboundPolicy(config), timeoutMs: config.clientIdMetadataDocumentTimeoutMs, maxResponseBytes: config.clientIdMetadataDocumentMaxBytes };
  let response;
  try {
    response = await get(url, policy);
  } catch (err) {
    const reason = err instanceof OutboundError ? err.reason : 'network';
    const said: Record<string, string> = {
      too_large: `the metadata document exceeds ${config.clientIdMetadataDocumentMaxBytes} bytes`,
      timeout: 'the metadata document did not arrive in time',
      redirect: 'the metadata document URL redirects; redirects are not followed',
      address_not_allowed: 'the metadata document URL does not lead to a public address',
      scheme_not_allowed: 'the metadata document must be fetched over https',
    };
    throw invalidClient(said[reason] ?? 'the metadata document could not be fetched');
  }
  if (response.status !== 200) throw invalidClient(`the metadata document URL answered HTTP ${response.status}`);
  try {
    return { document: JSON.parse(response.body.toString('utf8')), cacheControl: [response.headers['cache-control']].flat()[0] };
  } catch {
    throw invalidClient('the metadata document is not valid JSON');
  }
}

export interface ResolveOptions {
  requestId: string;
  policy: RequestPolicy;
  log: { warn(fields: object, message: string): void; info(fields: object, message: string): void };
}

/** The client a metadata document URL names, fetched, checked and stored when it is not fresh in the store. */
export async function resolveMetadataDocument(clientId: string, services: RegistrationServices, options: ResolveOptions): Promise<ClientRecord> {
  const config = services.config.current;
  if (!config.clientIdMetadataDocumentsEnabled) throw new InvalidRequest('client ID metadata documents are not enabled here');
  checkClientIdUrl(clientId, config);
  const now = services.clock();
  const stored = await services.clients.find(clientId, now);
  if (stored && !stored.metadataDocument) throw invalidClient('this client_id belongs to a registered client, not a metadata document');
  if (stored?.metadataDocument && now < stored.metadataDocument.refreshAt) return stored;

  let fetched: Awaited<ReturnType<typeof fetchDocument>>;
  try {
    fetched = await fetchDocument(clientId, config);
  } catch (err) {
    // The last good version serves until its hard expiry.
    if (stored?.metadataDocument && now < stored.metadataDocument.hardExpiresAt) {
      options.log.warn({ clientId, err }, 'refreshing a client ID metadata document failed; the last good version is used');
      return stored;
    }
    throw err;
  }
  const document = routed(checkDocument(fetched.document, clientId), clientId, config);
  const { client_id: _url, ...metadata } = document;
  const request: ClientMetadata = { token_endpoint_auth_method: 'none', ...pickMetadata(metadata as ClientMetadata, config, 'client') };
  const operation = stored ? 'update' : 'create';
  const { client } = await draftClient(
    { operation, request, clientId, stored: stored?.metadata, requestId: options.requestId, statement: undefined, signedRequest: undefined, certificate: undefined, metadataDocument: { url: clientId, fetchedAt: now } },
    services,
    config,
    options.policy,
  );
  if (SHARED_SECRET_METHODS.has(String(client.token_endpoint_auth_method))) throw invalidClient('policy gave a metadata document client a shared-secret method');
  const metadataDocument = { fetchedAt: now, refreshAt: now + freshFor(fetched.cacheControl, config) * 1000, hardExpiresAt: now + config.clientIdMetadataDocumentMaxStaleSeconds * 1000 };
  // No registration access token works for it: RFC 7592 management does not apply; the document is the source.
  const content = { metadata: client, secret: null, registrationAccessTokenHash: hashToken(newRegistrationAccessToken()), expiresAt: null };
  const record = stored ? { ...revisedRecord(stored, content, now), metadataDocument } : { ...newRecord(clientId, content, now), metadataDocument };
  const change = { operation, requestId: options.requestId, before: stored, after: record, policy: options.policy } as const;
  if (stored) {
    if (!(await services.authorizationServer.commit(change, () => services.clients.replace(record, stored.revision)))) throw new ChangedMeanwhile();
  } else {
    const admission = await admit(record, undefined, services, config, now);
    try {
      await services.authorizationServer.commit(change, () => services.clients.insert(record));
    } catch (err) {
      await admission.release();
      // Another request stored the same document first: that one stands.
      const raced = await services.clients.find(clientId, now).catch(() => undefined);
      if (raced?.metadataDocument) return raced;
      throw err;
    }
  }
  options.log.info({ clientId, operation }, 'client ID metadata document stored');
  return record;
}
