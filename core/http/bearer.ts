import type { Context } from 'koa';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The RFC 6750 §2.1 bearer token of the Authorization header, or undefined. */
export const bearerToken = (ctx: Context): string | undefined => BEARER.exec(ctx.get('Authorization'))?.[1];
