// Liveness and readiness: live while the process serves HTTP; ready when the store can take a
// write, the scripts folder has been loaded with no enforcing script left without a version in
// force, and the authorization server, when one is connected, answers.
// Also the authorization server's status for administrators.
import type { Context } from 'koa';
import type { AuthorizationServerLink, Reconciler } from '../authorization/index.ts';
import type { Store } from '../store/index.ts';
import { messageOf } from '../errors/index.ts';

export const live = (ctx: Context) => {
  ctx.body = { status: 'ok' };
};

/** `loading` until the scripts folder has been read, then `loaded`, or `none` when it is absent on purpose. */
export type ScriptsState = 'loading' | 'loaded' | 'none';

/** `notInForce`: enabled scripts with no working version, whose decisions refuse (fail closed). */
export function ready(store: Pick<Store, 'ping'>, scripts: () => ScriptsState, notInForce: () => string[], authorizationServer: AuthorizationServerLink) {
  return async (ctx: Context) => {
    let storeStatus = 'ok';
    const [server] = await Promise.all([
      authorizationServer.status(),
      store.ping().catch((err: unknown) => {
        storeStatus = messageOf(err);
      }),
    ]);
    const state = scripts();
    const missing = notInForce();
    const ok = storeStatus === 'ok' && state !== 'loading' && missing.length === 0 && server.ok;
    ctx.status = ok ? 200 : 503;
    ctx.body = {
      status: ok ? 'ready' : 'not ready',
      store: storeStatus,
      scripts: state,
      ...(missing.length > 0 ? { scriptsNotInForce: missing } : {}),
      authorizationServer: server.detail,
    };
  };
}

/**
 * GET /admin/authorization-server: which server, whether it answers, its metadata (where it is
 * read, when, or why it cannot be), the topology it shows and the reconciler's last run.
 */
export function authorizationServerStatus(link: AuthorizationServerLink, reconciler: Reconciler) {
  return (ctx: Context) => {
    const server = link.server;
    const metadata = link.metadata;
    const fetchedAt = metadata?.fetchedAt;
    ctx.body = {
      type: server?.type ?? null,
      reachable: link.reachable ?? null,
      issuer: (metadata?.document?.issuer as string | undefined) ?? null,
      metadataUrl: metadata?.url ?? null,
      metadataFetchedAt: fetchedAt === undefined ? null : new Date(fetchedAt).toISOString(),
      metadataError: metadata?.awaited ? (metadata.error ?? null) : null,
      topology: link.topology ?? null,
      lastSync: reconciler.last ?? null,
    };
  };
}
