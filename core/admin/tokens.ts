// The administration API's token endpoint (client_credentials, RFC 6749 §4.4) at Janssen's path,
// issuing short-lived JWT access tokens with scopes, and the middleware that checks them. Tokens
// are HS256 with a key derived from DCR_ENCRYPTION_KEY, so every instance sharing that key (and
// store) accepts every instance's tokens.
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Context, Middleware } from 'koa';
import { InvalidRequest, InvalidToken, OAuthError, TooManyRequests } from '../errors/index.ts';
import { bearerToken, FixedWindowCounter, readRawBody, type RequestState } from '../http/index.ts';
import type { ConfigHolder } from '../config/index.ts';
import { clientAddress } from '../net/index.ts';
import type { AdminClientRecord, Administration } from '../store/index.ts';
import { hasScope } from './scopes.ts';
import { hashSecret, verifySecret } from './secretHash.ts';

export const TOKEN_AUDIENCE = 'registrar-admin';

export interface AdminPrincipal {
  clientId: string;
  scopes: string[];
}

export class AdminTokens {
  readonly #key: Uint8Array;
  readonly #issuer: string;
  readonly #clock: () => number;
  readonly #lifetime: () => number;

  constructor(key: Uint8Array, issuer: string, clock: () => number, lifetimeSeconds: () => number) {
    this.#key = key;
    this.#issuer = issuer;
    this.#clock = clock;
    this.#lifetime = lifetimeSeconds;
  }

  get lifetimeSeconds(): number {
    return this.#lifetime();
  }

  issue(principal: AdminPrincipal): Promise<string> {
    const now = Math.floor(this.#clock() / 1000);
    return new SignJWT({ scope: principal.scopes.join(' '), client_id: principal.clientId })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(this.#issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(principal.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(this.#key);
  }

  async verify(token: string): Promise<AdminPrincipal> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        issuer: this.#issuer,
        audience: TOKEN_AUDIENCE,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat'],
        currentDate: new Date(this.#clock()),
      });
      return { clientId: String(payload.sub), scopes: String(payload.scope ?? '').split(' ').filter(Boolean) };
    } catch {
      throw new InvalidToken('the access token is invalid or expired');
    }
  }
}

/** Requires a valid admin token with `scope` (RFC 6750 §3.1: 401 invalid_token, 403 insufficient_scope). */
export function requireScope(tokens: AdminTokens, scope: string): Middleware<RequestState & { admin?: AdminPrincipal }> {
  return async (ctx, next) => {
    const token = bearerToken(ctx);
    if (!token) throw new InvalidToken('an access token is required', { tokenPresented: false });
    const principal = await tokens.verify(token);
    if (!hasScope(principal.scopes, scope)) {
      throw new OAuthError('insufficient_scope', `this request needs the scope ${scope}`, {
        status: 403,
        headers: { 'WWW-Authenticate': `Bearer realm="registrar", error="insufficient_scope", scope="${scope}"` },
      });
    }
    ctx.state.admin = principal;
    await next();
  };
}

/** A hash no secret matches, verified for unknown client_ids so they cost what known ones do. */
let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= hashSecret(randomUUID()));

/**
 * RFC 6749 §5.2: 401 with a Basic challenge when the client authenticated with the Authorization
 * header; otherwise no challenge (a browser would answer a Basic challenge with a login prompt).
 */
function invalidClient(ctx: Context): OAuthError {
  const basic = /^Basic /i.test(ctx.get('Authorization'));
  return new OAuthError('invalid_client', 'client authentication failed', { status: 401, headers: basic ? { 'WWW-Authenticate': 'Basic realm="registrar"' } : {} });
}

/** client_id and secret from HTTP Basic (RFC 6749 §2.3.1, form-encoded parts) or the form body. */
function credentials(ctx: Context, form: URLSearchParams): { clientId: string; secret: string } | undefined {
  const basic = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(ctx.get('Authorization'))?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const unescape = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    try {
      return { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
    } catch {
      return undefined;
    }
  }
  const clientId = form.get('client_id');
  const secret = form.get('client_secret');
  return clientId && secret ? { clientId, secret } : undefined;
}

/** Failed client authentications allowed per minute before the endpoint answers 429: per address, per client_id, and in all. */
export const MAX_FAILED_AUTHENTICATIONS = 10;
export const MAX_FAILED_AUTHENTICATIONS_PER_CLIENT = 20;
export const MAX_FAILED_AUTHENTICATIONS_IN_ALL = 200;
const EVERYONE = '\0all';
const MINUTE = 60_000;
/** Secret verifications (scrypt, on the thread pool) running at once, server-wide; more answer 429. */
export const MAX_VERIFICATIONS = 4;

export function tokenEndpoint(tokens: AdminTokens, administration: Administration, config: ConfigHolder, clock: () => number = Date.now) {
  // Secrets are checked with scrypt (deliberately slow), so the endpoint must be neither a password
  // oracle nor a way to burn the server's CPU: an attempt is counted against its address, its
  // client_id and the endpoint as a whole before the check and taken back only when it succeeds
  // (many addresses cannot add up to more guesses than the whole allows), and few checks run at
  // once. An unknown client_id costs the same check as a known one.
  const attempts = new FixedWindowCounter(clock);
  let verifying = 0;
  const over = (key: string, limit: number, what: string) => {
    const { count, retryAfterSeconds } = attempts.hit(key, MINUTE);
    if (count > limit) throw new TooManyRequests(`too many failed authentications ${what}`, retryAfterSeconds);
  };
  return async (ctx: Context): Promise<void> => {
    const address = clientAddress(ctx, config.current.trustedProxies);
    if (ctx.request.type !== 'application/x-www-form-urlencoded') {
      ctx.req.resume();
      throw new InvalidRequest('the token request must be application/x-www-form-urlencoded');
    }
    const counted: string[] = [];
    const count = (key: string, limit: number, what: string) => {
      counted.push(key);
      over(key, limit, what);
    };
    let client: AdminClientRecord | undefined;
    let form: URLSearchParams;
    try {
      count(`address ${address}`, MAX_FAILED_AUTHENTICATIONS, 'from this address');
      count(EVERYONE, MAX_FAILED_AUTHENTICATIONS_IN_ALL, 'at this endpoint; retry later');
      if (verifying >= MAX_VERIFICATIONS) throw new TooManyRequests('too many client authentications at once', 1);
      form = new URLSearchParams((await readRawBody(ctx, 16 * 1024)).toString('utf8'));
      const presented = credentials(ctx, form);
      if (!presented) throw invalidClient(ctx);
      count(`client ${presented.clientId}`, MAX_FAILED_AUTHENTICATIONS_PER_CLIENT, 'for this client');
      verifying += 1;
      try {
        client = await administration.findAdminClient(presented.clientId);
        const valid = await verifySecret(presented.secret, client?.secretHash ?? (await decoyHash()));
        if (!client || !valid) throw invalidClient(ctx);
      } finally {
        verifying -= 1;
      }
    } catch (err) {
      // Refused before the check (a limit, a malformed request): that attempt does not count.
      if (!(err instanceof OAuthError && err.error === 'invalid_client')) for (const key of counted) attempts.undo(key);
      ctx.req.resume();
      throw err;
    }
    for (const key of counted) attempts.undo(key);
    if (form.get('grant_type') !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'only the client_credentials grant is supported here');
    }
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const refused = requested.filter((scope) => !client.scopes.includes(scope));
    if (refused.length > 0) throw new OAuthError('invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
    const scopes = requested.length > 0 ? requested : client.scopes;
    ctx.body = {
      access_token: await tokens.issue({ clientId: client.clientId, scopes }),
      token_type: 'Bearer',
      expires_in: tokens.lifetimeSeconds,
      scope: scopes.join(' '),
    };
  };
}
