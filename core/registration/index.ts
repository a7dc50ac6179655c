// Registration routes: the RFC 7591 endpoint at /register and at Janssen's path, and RFC 7592
// management at {endpoint}/{client_id} or Janssen's {endpoint}?client_id=.
import Router from '@koa/router';
import type { RequestState } from '../http/state.ts';
import { decisionLog, type DecisionWriter } from './decisionLog.ts';
import { read } from './read.ts';
import { register } from './register.ts';
import { remove } from './remove.ts';
import type { RegistrationServices } from './services.ts';
import { update } from './update.ts';

export const REGISTRATION_PATH = '/register';
export const JANSSEN_REGISTRATION_PATH = '/jans-auth/restv1/register';

export type { RegistrationPolicy, HookContext, ClientResponse, Operation, KeyHook, KeyHookContext, VerifiedJwt } from './policy.ts';
export type { RegistrationServices } from './services.ts';
export { DecisionWriter } from './decisionLog.ts';

export function registrationRouter(services: RegistrationServices, decisions: DecisionWriter): Router<RequestState> {
  const router = new Router<RequestState>();
  const logged = decisionLog(services, decisions);
  for (const base of [REGISTRATION_PATH, JANSSEN_REGISTRATION_PATH]) {
    router.use(base, logged); // prefix: also {base}/{client_id}
    router.post(base, register(services));
    router.get([base, `${base}/:clientId`], read(services));
    router.put([base, `${base}/:clientId`], update(services));
    router.delete([base, `${base}/:clientId`], remove(services));
  }
  return router;
}
