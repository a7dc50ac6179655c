// Registration routes: the RFC 7591 endpoint at /register and at Janssen's path, and RFC 7592
// management at {endpoint}/{client_id} or Janssen's {endpoint}?client_id=.
import Router from '@koa/router';
import { noStore, type RequestState } from '../http/index.ts';
import type { DecisionRecord } from '../store/index.ts';
import { cors } from './cors.ts';
import { decisionLog, type DecisionWriter } from './decisionLog.ts';
import { rateLimit } from './rateLimit.ts';
import { read } from './read.ts';
import { register } from './register.ts';
import { remove } from './remove.ts';
import type { RegistrationServices } from './services.ts';
import { update } from './update.ts';

export const REGISTRATION_PATH = '/register';
export const JANSSEN_REGISTRATION_PATH = '/jans-auth/restv1/register';

export type { RegistrationServices } from './services.ts';
export { DecisionWriter, decisionLog, requestPolicy } from './decisionLog.ts';
export { draftClient } from './draft.ts';
export { needsSecret } from './credentials.ts';
export { newRecord } from './credentials.ts';
export { clientInformation } from './response.ts';
export { deleteClient } from './remove.ts';
export { registrationsMade, type Places } from './admission.ts';
export { purgeInactive } from './inactivity.ts';
export { reviseClient } from './revise.ts';
export { replaceEarlier } from './replace.ts';
export { recheckAddresses, type RecheckReport } from './addressRecheck.ts';
export { resealSecrets, type ResealReport } from './reseal.ts';
export { resolveMetadataDocument } from './metadataDocument.ts';

export function registrationRouter(
  services: RegistrationServices,
  decisions: DecisionWriter,
  observe?: (record: DecisionRecord) => void,
): Router<RequestState> {
  const router = new Router<RequestState>();
  const logged = decisionLog(services, decisions, observe);
  const crossOrigin = cors(services.config);
  const limited = rateLimit(services.config, services.clock);
  for (const base of [REGISTRATION_PATH, JANSSEN_REGISTRATION_PATH]) {
    // Prefix middleware: also {base}/{client_id}. CORS first, so refusals carry its headers.
    router.use(base, crossOrigin);
    router.use(base, noStore);
    router.options([base, `${base}/:clientId`], () => {});
    router.use(base, logged);
    router.use(base, limited);
    router.post(base, register(services));
    router.get([base, `${base}/:clientId`], read(services));
    router.put([base, `${base}/:clientId`], update(services));
    router.delete([base, `${base}/:clientId`], remove(services));
  }
  return router;
}
