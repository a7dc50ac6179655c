// Liveness and readiness: live while the process serves HTTP; ready when the store answers and the
// scripts folder has been loaded.
import type { Context } from 'koa';
import { NO_STORE } from '../http/app.ts';
import type { ClientStore } from '../store/index.ts';

export const live = (ctx: Context) => {
  ctx.set(NO_STORE);
  ctx.body = { status: 'ok' };
};

/** `loading` until the scripts folder has been read, then `loaded`, or `none` when it is absent on purpose. */
export type ScriptsState = 'loading' | 'loaded' | 'none';

export function ready(store: ClientStore, scripts: () => ScriptsState) {
  return async (ctx: Context) => {
    let storeStatus = 'ok';
    try {
      await store.ping();
    } catch (err) {
      storeStatus = (err as Error).message;
    }
    const state = scripts();
    const ok = storeStatus === 'ok' && state !== 'loading';
    ctx.status = ok ? 200 : 503;
    ctx.set(NO_STORE);
    ctx.body = { status: ok ? 'ready' : 'not ready', store: storeStatus, scripts: state };
  };
}
