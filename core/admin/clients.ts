// Client administration (Janssen config-api paths and /admin/clients): list (paged, filtered by
// software_id, organisation, name, approval status or initial access token), get, delete,
// disable / enable, approve / reject a pending registration, rotate the secret, rotate the
// registration access token. Credentials are shown only in the answer that creates them.
import type { Context } from 'koa';
import { InvalidRequest, OAuthError } from '../errors/index.ts';
import { NO_STORE, type RequestState } from '../http/app.ts';
import { deleteClient, needsSecret, replaceEarlier, reviseClient, type RegistrationServices } from '../registration/index.ts';
import { hashToken, newClientSecret, newRegistrationAccessToken } from '../secrets/index.ts';
import type { ClientFilter, ClientRecord } from '../store/index.ts';
import { toAdminClient } from './clientShape.ts';

type AdminContext = Context & { state: RequestState; params: Record<string, string> };

const notFound = () => new OAuthError('not_found', 'no such client', { status: 404 });

function integer(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidRequest('limit and startIndex must be non-negative integers');
  return Math.min(parsed, max);
}

function param(ctx: AdminContext, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = ctx.query[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export function clientAdmin(services: RegistrationServices) {
  const { store, clock } = services;

  async function load(ctx: AdminContext): Promise<ClientRecord> {
    const record = await store.find(ctx.params.inum ?? '', clock());
    if (!record) throw notFound();
    return record;
  }

  /** Writes a change at the authorization server and in the store, both or neither. */
  const save = (ctx: AdminContext, record: ClientRecord, change: Partial<ClientRecord>) => reviseClient(services, record, change, ctx.state.requestId);

  const shown = (record: ClientRecord) => toAdminClient(record, services.config.current.dynamicClientInactivityExpirationDays);

  const send = (ctx: AdminContext, body: unknown, status = 200) => {
    ctx.status = status;
    ctx.set(NO_STORE);
    ctx.body = body;
  };

  return {
    async list(ctx: AdminContext) {
      const limit = integer(ctx.query.limit, 50, 200);
      const start = integer(ctx.query.startIndex, 0, Number.MAX_SAFE_INTEGER);
      const filter: ClientFilter = {};
      const softwareId = param(ctx, 'software_id', 'softwareId');
      const organisation = param(ctx, 'organisation', 'org_id');
      const name = param(ctx, 'pattern', 'name');
      if (softwareId) filter.softwareId = softwareId;
      if (organisation) filter.organisation = organisation;
      if (name) filter.name = name;
      const status = param(ctx, 'status');
      if (status !== undefined && status !== 'pending' && status !== 'active') throw new InvalidRequest('status is pending or active');
      if (status) filter.status = status;
      const token = param(ctx, 'initial_access_token', 'initialAccessTokenId');
      if (token) filter.initialAccessTokenId = token;
      const now = clock();
      const [entries, total] = await Promise.all([store.query(filter, now, limit, start), store.count(filter, now)]);
      send(ctx, { start, totalEntriesCount: total, entriesCount: entries.length, entries: entries.map((entry) => shown(entry)) });
    },
    async get(ctx: AdminContext) {
      send(ctx, shown(await load(ctx)));
    },
    /** A pending registration becomes active, and is created at the authorization server. */
    async approve(ctx: AdminContext) {
      const record = await load(ctx);
      if (record.metadata.client_status !== 'pending') throw new OAuthError('invalid_request', 'the client is not waiting for approval', { status: 409 });
      const saved = await save(ctx, record, { metadata: { ...record.metadata, client_status: 'active' } });
      ctx.state.log.info({ clientId: record.clientId, admin: true }, 'registration approved');
      // Approved, it replaces what its software's earlier registrations held (dynamicRegistrationDuplicatePolicy `replace`).
      await replaceEarlier(services, saved, ctx.state.requestId, ctx.state.log);
      send(ctx, shown(saved));
    },
    /** A pending registration is refused: the client is deleted. */
    async reject(ctx: AdminContext) {
      const record = await load(ctx);
      if (record.metadata.client_status !== 'pending') throw new OAuthError('invalid_request', 'the client is not waiting for approval', { status: 409 });
      await deleteClient(services, record, ctx.state.requestId);
      ctx.state.log.info({ clientId: record.clientId, admin: true }, 'registration rejected');
      ctx.status = 204;
      ctx.set(NO_STORE);
    },
    async remove(ctx: AdminContext) {
      const record = await load(ctx);
      await deleteClient(services, record, ctx.state.requestId);
      ctx.state.log.info({ clientId: record.clientId, admin: true }, 'client deleted by an administrator');
      ctx.status = 204;
      ctx.set(NO_STORE);
    },
    disable: (disabled: boolean) => async (ctx: AdminContext) => {
      const record = await save(ctx, await load(ctx), { disabled });
      send(ctx, shown(record));
    },
    async rotateSecret(ctx: AdminContext) {
      const record = await load(ctx);
      if (!needsSecret(record.metadata)) throw new InvalidRequest(`a ${record.metadata.token_endpoint_auth_method} client has no client secret`);
      const clientSecret = newClientSecret();
      const saved = await save(ctx, record, { secret: services.secrets.seal(clientSecret, record.clientId) });
      send(ctx, { inum: saved.clientId, clientSecret, clientSecretExpiresAt: shown(saved).clientSecretExpiresAt });
    },
    async rotateRegistrationAccessToken(ctx: AdminContext) {
      const registrationAccessToken = newRegistrationAccessToken();
      const saved = await save(ctx, await load(ctx), { registrationAccessTokenHash: hashToken(registrationAccessToken) });
      send(ctx, { inum: saved.clientId, registrationAccessToken });
    },
  };
}
