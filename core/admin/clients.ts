// Client administration (Janssen config-api paths and /admin/clients): list (paged, filtered by
// software_id, organisation, name, approval status or initial access token), get, delete,
// disable / enable, approve / reject a pending registration, rotate the secret, rotate the
// registration access token. Credentials are shown only in the answer that creates them.
import type { Context } from 'koa';
import { Conflict, InvalidRequest, NotFound } from '../errors/index.ts';
import type { RequestState } from '../http/index.ts';
import { deleteClient, needsSecret, replaceEarlier, reviseClient, type RegistrationServices } from '../registration/index.ts';
import { hashToken, newClientSecret, newRegistrationAccessToken } from '../secrets/index.ts';
import type { ClientFilter, ClientRecord } from '../store/index.ts';
import { toAdminClient } from './clientShape.ts';

type AdminContext = Context & { state: RequestState; params: Record<string, string> };


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
  const { clients, clock } = services;

  async function load(ctx: AdminContext): Promise<ClientRecord> {
    const record = await clients.find(ctx.params.inum ?? '', clock());
    if (!record) throw new NotFound('no such client');
    return record;
  }

  /** Writes a change at the authorization server and in the store, both or neither. */
  const save = (ctx: AdminContext, record: ClientRecord, change: Partial<ClientRecord>) => reviseClient(services, record, change, ctx.state.requestId);

  const shown = (record: ClientRecord) => toAdminClient(record, services.config.current.dynamicClientInactivityExpirationDays);

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
      const [entries, total] = await Promise.all([clients.query(filter, now, limit, start), clients.count(filter, now)]);
      ctx.body = { start, totalEntriesCount: total, entriesCount: entries.length, entries: entries.map((entry) => shown(entry)) };
    },
    async get(ctx: AdminContext) {
      ctx.body = shown(await load(ctx));
    },
    /** A pending registration becomes active, and is created at the authorization server. */
    async approve(ctx: AdminContext) {
      const record = await load(ctx);
      if (record.metadata.client_status !== 'pending') throw new Conflict('the client is not waiting for approval');
      const saved = await save(ctx, record, { metadata: { ...record.metadata, client_status: 'active' } });
      ctx.state.log.info({ clientId: record.clientId, admin: true }, 'registration approved');
      // Approved, it replaces what its software's earlier registrations held (dynamicRegistrationDuplicatePolicy `replace`).
      await replaceEarlier(services, saved, ctx.state.requestId, ctx.state.log);
      ctx.body = shown(saved);
    },
    /** A pending registration is refused: the client is deleted. */
    async reject(ctx: AdminContext) {
      const record = await load(ctx);
      if (record.metadata.client_status !== 'pending') throw new Conflict('the client is not waiting for approval');
      await deleteClient(services, record, ctx.state.requestId);
      ctx.state.log.info({ clientId: record.clientId, admin: true }, 'registration rejected');
      ctx.status = 204;
    },
    async remove(ctx: AdminContext) {
      const record = await load(ctx);
      await deleteClient(services, record, ctx.state.requestId);
      ctx.state.log.info({ clientId: record.clientId, admin: true }, 'client deleted by an administrator');
      ctx.status = 204;
    },
    disable: (disabled: boolean) => async (ctx: AdminContext) => {
      const record = await save(ctx, await load(ctx), { disabled });
      ctx.body = shown(record);
    },
    async rotateSecret(ctx: AdminContext) {
      const record = await load(ctx);
      if (!needsSecret(record.metadata)) throw new InvalidRequest(`a ${record.metadata.token_endpoint_auth_method} client has no client secret`);
      const clientSecret = newClientSecret();
      const saved = await save(ctx, record, { secret: services.secrets.seal(clientSecret, record.clientId) });
      ctx.body = { inum: saved.clientId, clientSecret, clientSecretExpiresAt: shown(saved).clientSecretExpiresAt };
    },
    async rotateRegistrationAccessToken(ctx: AdminContext) {
      const registrationAccessToken = newRegistrationAccessToken();
      const saved = await save(ctx, await load(ctx), { registrationAccessTokenHash: hashToken(registrationAccessToken) });
      ctx.body = { inum: saved.clientId, registrationAccessToken };
    },
  };
}
