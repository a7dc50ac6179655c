// Liveness and readiness: live while the process serves HTTP; ready when the store answers and the
// scripts folder has been loaded.
import type { Context } from 'koa';
import { NO_STORE } from '../http/app.ts';
import type { ClientStore } from '../store/index.ts';

export const live = (ctx: Context) => {
  ctx.set(NO_STORE);
  ctx.body = { status: 'ok' };
};

export function ready(store: ClientStore, scriptsLoaded: () => boolean) {
  return async (ctx: Context) => {
    let storeStatus = 'ok';
    try {
      await store.ping();
    } catch (err) {
      storeStatus = (err as Error).message;
    }
    const ok = storeStatus === 'ok' && scriptsLoaded();
    ctx.status = ok ? 200 : 503;
    ctx.set(NO_STORE);
    ctx.body = { status: ok ? 'ready' : 'not ready', store: storeStatus, scripts: scriptsLoaded() ? 'loaded' : 'loading' };
  };
}
