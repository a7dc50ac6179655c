// Encryption pairs (OIDC DCR §2): an *_enc without its *_alg is refused; an *_alg without its
// *_enc gets A128CBC-HS256.
import { InvalidClientMetadata } from '../../errors/index.ts';
import { FIELDS, type ClientMetadata } from '../fields.ts';

export const DEFAULT_ENC = 'A128CBC-HS256';

const PAIRS = [...FIELDS]
  .filter(([, schema]) => schema['x-encryption'] === 'alg')
  .map(([alg]) => ({ alg, enc: alg.replace(/_alg$/, '_enc') }));

export const ENCRYPTION_ALG_MEMBERS = PAIRS.map(({ alg }) => alg);

export function encryption(metadata: ClientMetadata): void {
  for (const { alg, enc } of PAIRS) {
    if (metadata[enc] !== undefined && metadata[alg] === undefined) {
      throw new InvalidClientMetadata(`${enc} requires ${alg}`);
    }
    if (metadata[alg] !== undefined && metadata[enc] === undefined) metadata[enc] = DEFAULT_ENC;
  }
}
