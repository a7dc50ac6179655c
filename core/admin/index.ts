// GET /admin/scripts: each script's state, hash, hooks, settings, last error and counters.
// Protected by the DCR_ADMIN_TOKEN bearer token; without that token the route does not exist.
import Router from '@koa/router';
import { InvalidToken } from '../errors/index.ts';
import { NO_STORE, type RequestState } from '../http/app.ts';
import type { ScriptHost } from '../sandbox/index.ts';
import { secretsEqual } from '../secrets/index.ts';

export function adminRouter(adminToken: string | undefined, scripts: ScriptHost): Router<RequestState> {
  const router = new Router<RequestState>();
  if (!adminToken) return router;
  router.get('/admin/scripts', (ctx) => {
    const presented = /^Bearer +(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    if (!presented) throw new InvalidToken('an admin token is required', { tokenPresented: false });
    if (!secretsEqual(presented, adminToken)) throw new InvalidToken('the admin token is not valid');
    ctx.set(NO_STORE);
    ctx.body = { scripts: scripts.status() };
  });
  return router;
}
