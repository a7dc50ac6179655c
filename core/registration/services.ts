import type { Context } from 'koa';
import type { AuthorizationServerLink } from '../authorization/index.ts';
import type { ConfigHolder } from '../config/index.ts';
import type { RequestState } from '../http/index.ts';
import type { PolicyEngine, RequestPolicy } from '../policy/index.ts';
import type { SecretBox } from '../secrets/index.ts';
import type { Administration, ClientRecords, QuotaPlaces } from '../store/index.ts';
import type { RemoteKeySets } from '../trust/index.ts';

/** What the registration endpoints work with; built once by the composition root. */
export interface RegistrationServices {
  config: ConfigHolder;
  /** The registered clients. */
  clients: ClientRecords;
  /** The places registration limits count (admission.ts). */
  quotas: QuotaPlaces;
  /** The initial access tokens registrations present. */
  administration: Administration;
  secrets: SecretBox;
  policy: PolicyEngine;
  /** Milliseconds since the epoch; tests control time through it. */
  clock: () => number;
  /** The shared cache of remote key sets (statements, signed requests, the jwks plugin). */
  keySets: RemoteKeySets;
  /** The authorization server every change of a client is made at too (all or nothing). */
  authorizationServer: AuthorizationServerLink;
  /** The registration endpoint URL, from DCR_ISSUER. */
  registrationEndpoint: string;
}

/** A registration request: the decision log's middleware gives it its policy port. */
export type RegistrationContext = Context & { state: RequestState & { policy: RequestPolicy }; params?: Record<string, string> };
