// Client administration, schemas, script status and dry runs, health, metrics, rate limiting, CORS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { SCOPES } from '../../core/admin/index.ts';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT } from '../helpers/server.ts';

const pathOf = (client: any) => new URL(client.registration_client_uri).pathname;

describe('client administration', () => {
  let server: ScriptServer;
  let read: string;
  let write: string;
  before(async () => {
    server = await startAdminServer({ properties: { returnClientSecretOnRead: true, dynamicRegistrationCustomAttributes: ['org_id'] } });
    read = await adminToken(server.url, SCOPES.clientsRead);
    write = await adminToken(server.url, SCOPES.clientsWrite);
    for (let i = 0; i < 5; i += 1) {
      await server.register({ ...WEB_CLIENT, client_name: `Acme ${i}`, software_id: i < 3 ? 'acme-sw' : 'other-sw', org_id: 'acme' });
    }
  });
  after(() => server.close());

  it('lists clients in pages, filtered by software_id, organisation and name, in the Janssen Client shape', async () => {
    const page = await server.request('GET', '/jans-config-api/api/v1/openid/clients?limit=2&startIndex=1&software_id=acme-sw', { token: read });
    assert.equal(page.status, 200, page.text);
    assert.equal(page.json.totalEntriesCount, 3);
    assert.equal(page.json.entriesCount, 2);
    assert.equal(page.json.start, 1);
    const [first] = page.json.entries;
    assert.equal(first.displayName, 'Acme 1');
    assert.deepEqual(first.redirectUris, WEB_CLIENT.redirect_uris);
    assert.deepEqual(first.scopes, ['openid']);
    assert.equal(first.tokenEndpointAuthMethod, 'client_secret_basic');
    assert.equal(first.softwareId, 'acme-sw');
    assert.equal(first.disabled, false);
    assert.equal(first.customAttributes.org_id, 'acme');
    assert.equal(first.clientSecret, undefined, 'secrets are never listed');
    assert.equal((await server.request('GET', '/admin/clients?organisation=acme', { token: read })).json.totalEntriesCount, 5);
    assert.equal((await server.request('GET', '/admin/clients?pattern=acme%204', { token: read })).json.totalEntriesCount, 1);
    assertError(await server.request('GET', '/admin/clients?limit=-1', { token: read }), 400, 'invalid_request');
  });

  it('every listed client validates against GET /schema/client, and /openapi.json describes the endpoints', async () => {
    const schema = (await server.request('GET', '/schema/client')).json;
    const validate = new Ajv({ strict: false }).compile(schema);
    const { entries } = (await server.request('GET', '/admin/clients?limit=200', { token: read })).json;
    for (const entry of entries) assert.ok(validate(entry), JSON.stringify(validate.errors));
    const openapi = (await server.request('GET', '/openapi.json')).json;
    assert.equal(openapi.openapi, '3.1.0');
    for (const path of ['/register', '/register/{client_id}', '/jans-auth/restv1/token', '/jans-config-api/api/v1/jans-auth-server/config', '/jans-config-api/api/v1/openid/clients', '/admin/scripts/{name}/dry-run', '/health/ready', '/metrics']) {
      assert.ok(openapi.paths[path], path);
    }
    assert.deepEqual(Object.keys(openapi.components.schemas.Client.properties).sort(), Object.keys(schema.properties).sort());
  });

  it('gets, disables, enables, rotates credentials and deletes a client', async () => {
    const created = (await server.register({ ...WEB_CLIENT, client_name: 'Managed' })).json;
    const base = `/jans-config-api/api/v1/openid/clients/${created.client_id}`;
    assert.equal((await server.request('GET', base, { token: read })).json.displayName, 'Managed');
    assertError(await server.request('GET', '/admin/clients/no-such-client', { token: read }), 404, 'not_found');
    assertError(await server.request('POST', `${base}/disable`, { token: read }), 403, 'insufficient_scope');

    const disabled = await server.request('POST', `${base}/disable`, { token: write });
    assert.equal(disabled.json.disabled, true);
    assertError(await server.request('GET', pathOf(created), { token: created.registration_access_token }), 401, 'invalid_token');
    await server.request('POST', `${base}/enable`, { token: write });
    assert.equal((await server.request('GET', pathOf(created), { token: created.registration_access_token })).status, 200);

    const secret = await server.request('POST', `${base}/secret`, { token: write });
    assert.ok(secret.json.clientSecret && secret.json.clientSecret !== created.client_secret);
    const rat = await server.request('POST', `${base}/registration-access-token`, { token: write });
    assertError(await server.request('GET', pathOf(created), { token: created.registration_access_token }), 401, 'invalid_token');
    const readBack = await server.request('GET', pathOf(created), { token: rat.json.registrationAccessToken });
    assert.equal(readBack.json.client_secret, secret.json.clientSecret, 'the rotated secret is the one in force');

    assert.equal((await server.request('DELETE', base, { token: write })).status, 204);
    assertError(await server.request('GET', base, { token: read }), 404, 'not_found');
    const none = (await server.register({ ...WEB_CLIENT, token_endpoint_auth_method: 'none' })).json;
    assertError(await server.request('POST', `/admin/clients/${none.client_id}/secret`, { token: write }), 400, 'invalid_request', /no client secret/);
  });
});

describe('scripts, health, metrics, rate limits and CORS', () => {
  let server: ScriptServer;
  before(async () => {
    server = await startAdminServer(
      { properties: { rateLimitRegistrationRequestCount: 3, rateLimitRegistrationPeriodInSeconds: 60, registrationCorsAllowedOrigins: ['https://app.example'] } },
      {
        gatekeeper: [
          `export function createClient(context) {
             console.log('checking', context.client.client_name);
             if (context.client.client_name === 'bad') throw new RegistrationError('invalid_client_metadata', 'bad name');
             return { software_version: 'checked' };
           }
           export function modifyPostResponse(response) { response.dry = true; return true; }`,
          { plugins: { log: {} } },
        ],
      },
    );
  });
  after(() => server.close());

  it('puts /admin/scripts behind the scripts scope and dry-runs a script without storing anything', async () => {
    const scriptsRead = await adminToken(server.url, SCOPES.scriptsRead);
    const status = await server.request('GET', '/admin/scripts', { token: scriptsRead });
    assert.equal(status.json.scripts[0].name, 'gatekeeper');
    const scriptsWrite = await adminToken(server.url, SCOPES.scriptsWrite);
    const accepted = await server.request('POST', '/admin/scripts/gatekeeper/dry-run', { token: scriptsWrite, json: { ...WEB_CLIENT, client_name: 'fine' } });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.json.outcome, 'accepted');
    assert.equal(accepted.json.client.software_version, 'checked');
    assert.equal(accepted.json.response.dry, true);
    assert.deepEqual(accepted.json.decisions.map((d: any) => `${d.hook}=${d.decision}`), ['createClient=object', 'modifyPostResponse=true']);
    assert.deepEqual(accepted.json.logs.map((l: any) => l.message), ['checking fine']);
    const refused = await server.request('POST', '/admin/scripts/gatekeeper/dry-run', { token: scriptsWrite, json: { ...WEB_CLIENT, client_name: 'bad' } });
    assert.equal(refused.json.outcome, 'refused');
    assert.equal(refused.json.error.error, 'invalid_client_metadata');
    const clients = await adminToken(server.url, SCOPES.clientsRead);
    assert.equal((await server.request('GET', '/admin/clients', { token: clients })).json.totalEntriesCount, 0, 'nothing stored');
    assertError(await server.request('POST', '/admin/scripts/missing/dry-run', { token: scriptsWrite, json: WEB_CLIENT }), 404, 'not_found');
  });

  it('answers health checks and Prometheus metrics', async () => {
    assert.deepEqual((await server.request('GET', '/health/live')).json, { status: 'ok' });
    const readiness = await server.request('GET', '/health/ready');
    assert.equal(readiness.status, 200);
    assert.equal(readiness.json.store, 'ok');
    await server.register({ ...WEB_CLIENT, client_name: 'metered' });
    const metrics = await server.request('GET', '/metrics');
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(metrics.text, /registrar_http_requests_total\{route="\/register",method="POST",status="201"\} \d+/);
    assert.match(metrics.text, /registrar_registration_requests_total\{operation="create",outcome="ok"\} \d+/);
    assert.match(metrics.text, /registrar_script_hook_duration_seconds_count\{script="gatekeeper",hook="createClient"\} \d+/);
    assert.match(metrics.text, /registrar_script_reloads_total\{script="gatekeeper",result="loaded"\} 1/);
  });

  it('limits registrations per address with 429 and Retry-After, and answers CORS', async () => {
    const preflight = await server.request('OPTIONS', '/register', { headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const foreign = await server.request('OPTIONS', '/register', { headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 5; i += 1) {
      const response = await server.request('POST', '/register', { json: WEB_CLIENT, headers: { origin: 'https://app.example' } });
      statuses.push(response.status);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
      if (response.status === 429) limited = response;
    }
    assert.ok(statuses.includes(429), String(statuses));
    assertError(limited!, 429, 'invalid_request', /too many/);
    assert.ok(Number(limited!.headers.get('retry-after')) > 0);
  });
});
