// Initial access tokens (RFC 7591 §3), issued, listed and revoked by administrators:
//   POST   /admin/initial-access-tokens       {expires_in, max_registrations, label, claims, allowed_origins} -> 201, the token shown once
//   GET    /admin/initial-access-tokens       the tokens without their value, with the registrations each has made
//   DELETE /admin/initial-access-tokens/{id}  revoked: 204
// The value is 256 random bits, stored as its SHA-256 hash like registration access tokens.
import { Type, type Static } from '@sinclair/typebox';
import type { Context } from 'koa';
import { InvalidRequest, NotFound } from '../errors/index.ts';
import { readJsonObject, type RequestState } from '../http/index.ts';
import { registrationsMade } from '../registration/index.ts';
import { hashToken, newRegistrationAccessToken, newTimeOrderedId } from '../secrets/index.ts';
import type { Administration, InitialAccessTokenRecord } from '../store/index.ts';
import type { Places } from '../registration/index.ts';
import { describeErrors, schemaValidator } from '../validation/index.ts';

export const InitialAccessTokenRequestSchema = Type.Object(
  {
    expires_in: Type.Optional(Type.Integer({ minimum: 1, maximum: 315_360_000, description: 'Seconds until the token expires; absent: never.' })),
    max_registrations: Type.Optional(Type.Integer({ minimum: 1, description: 'Registrations the token may make; absent: no limit.' })),
    label: Type.Optional(Type.String({ maxLength: 200, description: 'A name for people (shown in lists and to scripts).' })),
    claims: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'What scripts see as context.initialAccessToken.claims.' })),
    allowed_origins: Type.Optional(Type.Array(Type.String({ pattern: '^https?://[^/?#]+$' }), { maxItems: 100, description: 'Browser origins it may be used from (checked against Origin); empty: any.' })),
  },
  { additionalProperties: false },
);
type InitialAccessTokenRequest = Static<typeof InitialAccessTokenRequestSchema>;
const validRequest = schemaValidator<InitialAccessTokenRequest>(InitialAccessTokenRequestSchema, { allErrors: true });

const epoch = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

function shown(token: InitialAccessTokenRecord, registrations: number, now: number) {
  return {
    id: token.id,
    label: token.label,
    claims: token.claims,
    allowed_origins: token.allowedOrigins,
    created_at: epoch(token.createdAt),
    created_by: token.createdBy,
    expires_at: epoch(token.expiresAt),
    max_registrations: token.maxRegistrations,
    registrations,
    usable: (token.expiresAt === null || token.expiresAt > now) && (token.maxRegistrations === null || registrations < token.maxRegistrations),
  };
}

type AdminContext = Context & { state: RequestState & { admin?: { clientId: string } }; params: Record<string, string> };

export function initialAccessTokens(administration: Administration, places: Places, clock: () => number) {
  return {
    async issue(ctx: AdminContext) {
      const body = ctx.request.length ? await readJsonObject(ctx, 64 * 1024) : {};
      if (!validRequest(body)) throw new InvalidRequest(describeErrors(validRequest.errors, 'body', (name) => `unknown member "${name}"`).join('; '));
      const now = clock();
      const token = newRegistrationAccessToken();
      const record: InitialAccessTokenRecord = {
        id: newTimeOrderedId(now),
        tokenHash: hashToken(token),
        label: body.label ?? null,
        claims: body.claims ?? {},
        allowedOrigins: body.allowed_origins ?? [],
        expiresAt: body.expires_in === undefined ? null : now + body.expires_in * 1000,
        maxRegistrations: body.max_registrations ?? null,
        createdAt: now,
        createdBy: ctx.state.admin?.clientId ?? 'unknown',
      };
      await administration.saveInitialAccessToken(record);
      ctx.state.log.info({ id: record.id, label: record.label }, 'initial access token issued');
      ctx.status = 201;
      ctx.body = { ...shown(record, 0, now), token };
    },
    async list(ctx: AdminContext) {
      const now = clock();
      const tokens = await administration.listInitialAccessTokens();
      ctx.body = { tokens: await Promise.all(tokens.map(async (token) => shown(token, await registrationsMade(places, token), now))) };
    },
    async revoke(ctx: AdminContext) {
      if (!(await administration.deleteInitialAccessToken(ctx.params.id ?? ''))) throw new NotFound('no such initial access token');
      ctx.status = 204;
    },
  };
}
