// The administration surface: token endpoint, configuration API, client administration, script
// status and dry runs (all behind OAuth scopes), schemas, health and metrics.
import Router from '@koa/router';
import type { Static } from '@sinclair/typebox';
import type { Context } from 'koa';
import { InvalidRequest, NotFound } from '../errors/index.ts';
import { noStore, readJsonObject, type RequestState } from '../http/index.ts';
import type { Reconciler } from '../authorization/index.ts';
import { decisionLog, requestPolicy, resolveMetadataDocument, type DecisionWriter, type RegistrationServices } from '../registration/index.ts';
import type { ScriptHost } from '../sandbox/index.ts';
import type { Store } from '../store/index.ts';
import { describeErrors, schemaValidator } from '../validation/index.ts';
import { AdminClientSchema } from './clientShape.ts';
import { ReplayRequestSchema, type ReplayReport, type ReplayRequest } from './replay.ts';
import { clientAdmin } from './clients.ts';
import { auditTrail } from './audit.ts';
import { getConfig, patchConfig } from './config.ts';
import { consoleFile } from './console.ts';
import { decisionLogReader } from './decisions.ts';
import { dryRun } from './dryRun.ts';
import { fleetStatus, type FleetAccess } from './fleet.ts';
import { initialAccessTokens } from './initialAccessTokens.ts';
import { authorizationServerStatus, live, ready, type ScriptsState } from './health.ts';
import type { Metrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { SCOPES } from './scopes.ts';
import { requireScope, tokenEndpoint, type AdminTokens } from './tokens.ts';

export { AdminTokens } from './tokens.ts';
export { Metrics } from './metrics.ts';
export { followStoredConfig, settleConfiguration } from './config.ts';
export { seedAdminClient } from './seed.ts';
export { ALL_SCOPES, SCOPES } from './scopes.ts';
export { hashSecret } from './secretHash.ts';
export { AdminClientSchema, toAdminClient } from './clientShape.ts';
export { dryRun, type DryRunResult } from './dryRun.ts';
export { replay, type ReplayReport, type ReplayRequest } from './replay.ts';
export type { ScriptsState } from './health.ts';
export type { FleetAccess } from './fleet.ts';

const validReplay = schemaValidator<Static<typeof ReplayRequestSchema>>(ReplayRequestSchema, { allErrors: true });

export const CONFIG_PATHS = ['/jans-config-api/api/v1/jans-auth-server/config', '/admin/config'];
export const CLIENT_PATHS = ['/jans-config-api/api/v1/openid/clients', '/admin/clients'];

export interface AdminOptions {
  services: RegistrationServices;
  /** The store, whose roles the routes take one by one. */
  store: Store;
  /** The fleet view's reports and their interval. */
  fleet: FleetAccess;
  scripts: ScriptHost;
  tokens: AdminTokens;
  metrics: Metrics;
  reconciler: Reconciler;
  /** Metadata documents resolved are decisions too: one record each. */
  decisions: DecisionWriter;
  /** Replays a candidate version of a script against recorded registrations. */
  replay: (name: string, request: ReplayRequest) => Promise<ReplayReport>;
  issuer: string;
  scriptsState: () => ScriptsState;
}

export function adminRouter({ services, store, fleet, scripts, tokens, metrics, reconciler, decisions, replay, issuer, scriptsState }: AdminOptions): Router<RequestState> {
  const router = new Router<RequestState>();
  router.use(noStore);
  const { config, clock } = services;
  const scope = (needed: string) => requireScope(tokens, needed);

  const token = tokenEndpoint(tokens, store.administration, config, clock);
  router.post(['/jans-auth/restv1/token', '/token'], token);

  router.get(CONFIG_PATHS, scope(SCOPES.configRead), getConfig(config));
  router.patch(CONFIG_PATHS, scope(SCOPES.configWrite), patchConfig(config, store.configuration, fleet, clock));
  router.get(CONFIG_PATHS.map((path) => `${path}/audit`), scope(SCOPES.configRead), auditTrail(store.configuration));

  const clients = clientAdmin(services);
  for (const base of CLIENT_PATHS) {
    router.get(base, scope(SCOPES.clientsRead), clients.list);
    router.get(`${base}/:inum`, scope(SCOPES.clientsRead), clients.get);
    router.delete(`${base}/:inum`, scope(SCOPES.clientsWrite), clients.remove);
    router.post(`${base}/:inum/disable`, scope(SCOPES.clientsWrite), clients.disable(true));
    router.post(`${base}/:inum/enable`, scope(SCOPES.clientsWrite), clients.disable(false));
    router.post(`${base}/:inum/approve`, scope(SCOPES.clientsWrite), clients.approve);
    router.post(`${base}/:inum/reject`, scope(SCOPES.clientsWrite), clients.reject);
    router.post(`${base}/:inum/secret`, scope(SCOPES.clientsWrite), clients.rotateSecret);
    router.post(`${base}/:inum/registration-access-token`, scope(SCOPES.clientsWrite), clients.rotateRegistrationAccessToken);
  }

  const initialAccess = initialAccessTokens(store.administration, services, clock);
  router.post('/admin/initial-access-tokens', scope(SCOPES.clientsWrite), initialAccess.issue);
  router.get('/admin/initial-access-tokens', scope(SCOPES.clientsRead), initialAccess.list);
  router.delete('/admin/initial-access-tokens/:id', scope(SCOPES.clientsWrite), initialAccess.revoke);

  // A client ID metadata document resolved for the authorization server (it is the one to ask).
  router.get('/cimd', scope(SCOPES.clientsWrite), decisionLog(services, decisions, undefined, 'metadata_document'), async (ctx) => {
    const clientId = ctx.query.client_id;
    if (typeof clientId !== 'string' || clientId === '') throw new InvalidRequest('client_id is required, once');
    ctx.state.clientId = clientId;
    const record = await resolveMetadataDocument(clientId, services, { requestId: ctx.state.requestId, policy: requestPolicy(ctx), log: ctx.state.log });
    ctx.body = { client_id: record.clientId, client_id_issued_at: record.clientIdIssuedAt, ...record.metadata };
  });

  router.get('/admin/authorization-server', scope(SCOPES.clientsRead), authorizationServerStatus(services.authorizationServer, reconciler));
  router.post('/admin/authorization-server/sync', scope(SCOPES.clientsWrite), async (ctx) => {
    ctx.body = await reconciler.run('demand');
  });

  router.get('/admin/decisions', scope(SCOPES.scriptsRead), decisionLogReader(store.decisions));
  router.get('/admin/fleet', scope(SCOPES.scriptsRead), fleetStatus(fleet));

  router.get('/admin/scripts', scope(SCOPES.scriptsRead), (ctx) => {
    ctx.body = { scripts: scripts.status() };
  });
  router.post('/admin/scripts/:name/dry-run', scope(SCOPES.scriptsWrite), async (ctx: Context & { params: Record<string, string> }) => {
    const name = ctx.params.name ?? '';
    if (!scripts.isActive(name)) throw new NotFound('no such active script');
    const body = await readJsonObject(ctx, config.current.registrationRequestMaxBytes);
    ctx.body = await dryRun(services, scripts, name, body);
  });

  router.post('/admin/scripts/:name/replay', scope(SCOPES.scriptsWrite), async (ctx: Context & { params: Record<string, string> }) => {
    const name = ctx.params.name ?? '';
    const body = await readJsonObject(ctx, 1024 * 1024);
    if (!validReplay(body)) throw new InvalidRequest(describeErrors(validReplay.errors, 'body', (member) => `unknown member "${member}"`).join('; '));
    const since = body.since === undefined ? undefined : typeof body.since === 'number' ? body.since : Date.parse(body.since);
    if (since !== undefined && !Number.isFinite(since)) throw new InvalidRequest('since must be an ISO 8601 time or milliseconds since the epoch');
    ctx.body = await replay(name, { source: body.source, settings: body.settings, last: body.last, since });
  });

  router.get('/admin/console', consoleFile(''));
  router.get('/admin/console/console.js', consoleFile('console.js'));
  router.get('/admin/console/console.css', consoleFile('console.css'));

  router.get('/schema/client', (ctx) => {
    ctx.set({ 'Cache-Control': 'no-cache' });
    ctx.body = AdminClientSchema;
  });
  router.get('/openapi.json', (ctx) => {
    ctx.set({ 'Cache-Control': 'no-cache' });
    ctx.body = openApiDocument(issuer);
  });
  router.get('/health/live', live);
  router.get('/health/ready', ready(store, scriptsState, () => scripts.notInForce(), services.authorizationServer));
  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', metrics.registry.contentType);
    ctx.body = await metrics.text();
  });
  return router;
}

