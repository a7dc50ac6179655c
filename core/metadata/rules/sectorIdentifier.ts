// OIDC Core §8.1 / DCR §5: a pairwise client whose redirect URIs span several hosts needs a
// sector_identifier_uri, and that document (a JSON array of URIs, fetched through the outbound
// module) must list every redirect URI.
import { InvalidClientMetadata } from '../../errors/index.ts';
import { getJson, publicReason } from '../../outbound/index.ts';
import type { ClientMetadata } from '../fields.ts';
import type { RuleContext } from './context.ts';

export async function sectorIdentifier(metadata: ClientMetadata, { outbound, offline }: RuleContext): Promise<void> {
  const redirects = metadata.redirect_uris ?? [];
  const sectorUri = metadata.sector_identifier_uri;
  if (!sectorUri) {
    const hosts = new Set(redirects.map((uri) => new URL(uri).host));
    if (metadata.subject_type === 'pairwise' && hosts.size > 1) {
      throw new InvalidClientMetadata('sector_identifier_uri is required for pairwise clients whose redirect_uris use several hosts');
    }
    return;
  }
  // Offline (a replay), the document is not fetched: that the redirect URIs are listed goes unjudged.
  if (offline) return;
  let document: unknown;
  try {
    document = await getJson(sectorUri, outbound);
  } catch (err) {
    // The client learns what kind of failure it was, never what the resolver or network said.
    throw new InvalidClientMetadata(`sector_identifier_uri could not be fetched: ${publicReason(err)}`, { cause: err });
  }
  if (!Array.isArray(document) || !document.every((entry) => typeof entry === 'string')) {
    throw new InvalidClientMetadata('sector_identifier_uri must return a JSON array of URIs');
  }
  const listed = new Set(document);
  const missing = redirects.find((uri) => !listed.has(uri));
  if (missing) throw new InvalidClientMetadata(`redirect URI "${missing}" is not listed in the sector_identifier_uri document`);
}
