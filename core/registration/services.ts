import type { ConfigHolder } from '../config/index.ts';
import type { RemoteKeySets } from '../jwks/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { ClientStore } from '../store/index.ts';
import type { RegistrationPolicy } from './policy.ts';

/** What the registration endpoints work with; built once by createApp. */
export interface RegistrationServices {
  config: ConfigHolder;
  store: ClientStore;
  secrets: SecretBox;
  policy: RegistrationPolicy;
  /** Milliseconds since the epoch; tests control time through it. */
  clock: () => number;
  /** The shared cache of remote key sets (statements, signed requests, the jwks plugin). */
  keySets: RemoteKeySets;
  /** The registration endpoint URL, from DCR_ISSUER. */
  registrationEndpoint: string;
}
