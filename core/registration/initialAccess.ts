// Initial access tokens (RFC 7591 §3): a registration may carry one as a Bearer token; with
// registrationInitialAccessTokenRequired it must. An unknown, revoked or expired token, one used
// from an origin it does not allow, or one whose registrations are used up answers 401
// invalid_token with an RFC 6750 challenge.
import type { Context } from 'koa';
import type { ServerConfig } from '../config/index.ts';
import { InvalidToken } from '../errors/index.ts';
import { bearerToken } from '../http/index.ts';
import { hashToken } from '../secrets/index.ts';
import type { Administration, InitialAccessTokenRecord } from '../store/index.ts';

/** The token a registration presented, or undefined when it presented none (and none is required). */
export async function readInitialAccessToken(ctx: Context, tokens: Pick<Administration, 'findInitialAccessToken'>, config: ServerConfig, now: number): Promise<InitialAccessTokenRecord | undefined> {
  const presented = bearerToken(ctx);
  if (!presented) {
    if (ctx.get('Authorization')) throw new InvalidToken('the Authorization header is not a Bearer token');
    if (config.registrationInitialAccessTokenRequired) throw new InvalidToken('an initial access token is required to register', { tokenPresented: false });
    return undefined;
  }
  const token = await tokens.findInitialAccessToken(hashToken(presented));
  if (!token) throw new InvalidToken('the initial access token is not valid');
  if (token.expiresAt !== null && token.expiresAt <= now) throw new InvalidToken('the initial access token has expired');
  const origin = ctx.get('Origin');
  if (origin && token.allowedOrigins.length > 0 && !token.allowedOrigins.includes(origin)) {
    throw new InvalidToken('the initial access token may not be used from this origin');
  }
  return token;
}

/** The quota of one token's registrations (store places, held by the clients it registered). */
export const tokenQuota = (token: InitialAccessTokenRecord): string => `initial-access-token:${token.id}`;
