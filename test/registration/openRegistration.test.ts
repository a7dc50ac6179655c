// Open registration without the abuse: initial access tokens, the client cap, duplicates,
// approval and inactivity, through HTTP, with races where a limit must hold.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import { purgeInactive } from '../../core/registration/index.ts';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { assertError } from '../helpers/server.ts';
import { jwksOf, signWith, testKey } from '../helpers/keys.ts';

const MACHINE = { grant_types: ['client_credentials'], response_types: [] };

async function withAdmin(properties: Record<string, unknown>, run: (server: ScriptServer, admin: string) => Promise<void>, clock?: () => number): Promise<void> {
  const server = await startAdminServer({ properties, ...(clock ? { clock } : {}) });
  try {
    await run(server, await adminToken(server.url));
  } finally {
    await server.close();
  }
}

const issue = async (server: ScriptServer, admin: string, body: Record<string, unknown> = {}) => {
  const issued = await server.request('POST', '/admin/initial-access-tokens', { token: admin, json: body });
  assert.equal(issued.status, 201, issued.text);
  return issued.json as { id: string; token: string };
};

const registerWith = (server: ScriptServer, token: string | undefined, metadata: Record<string, unknown> = MACHINE, headers: Record<string, string> = {}) =>
  server.request('POST', '/register', { json: metadata, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

describe('initial access tokens', () => {
  test('required: none, an unknown one, a revoked one and an expired one answer 401 invalid_token; a valid one registers', async () => {
    let now = Date.parse('2026-11-30T12:00:00Z');
    await withAdmin({ registrationInitialAccessTokenRequired: true }, async (server, firstAdmin) => {
      let admin = firstAdmin;
      const none = await registerWith(server, undefined);
      assertError(none, 401, 'invalid_token');
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="registrar"');
      assertError(await registerWith(server, 'not-a-token'), 401, 'invalid_token');

      const { id, token } = await issue(server, admin, { label: 'partner A', expires_in: 3600 });
      const registered = await registerWith(server, token);
      assert.equal(registered.status, 201, registered.text);
      const listed = (await server.request('GET', `/admin/clients?initial_access_token=${id}`, { token: admin })).json;
      assert.deepEqual(listed.entries.map((client: { inum: string }) => client.inum), [registered.json.client_id]);
      assert.equal(listed.entries[0].initialAccessTokenId, id);

      const tokens = (await server.request('GET', '/admin/initial-access-tokens', { token: admin })).json.tokens;
      assert.equal(tokens.length, 1);
      assert.equal(tokens[0].registrations, 1);
      assert.equal(tokens[0].label, 'partner A');
      assert.equal(tokens[0].token, undefined, 'the value is shown once');

      now += 3601 * 1000;
      assertError(await registerWith(server, token), 401, 'invalid_token', /expired/);
      admin = await adminToken(server.url);
      const second = await issue(server, admin);
      assert.equal((await server.request('DELETE', `/admin/initial-access-tokens/${second.id}`, { token: admin })).status, 204);
      assertError(await registerWith(server, second.token), 401, 'invalid_token');
      assert.equal((await server.request('DELETE', `/admin/initial-access-tokens/${second.id}`, { token: admin })).status, 404);
    }, () => now);
  });

  test('not required: registration without one works, and one that is presented is still checked', async () => {
    await withAdmin({}, async (server) => {
      assert.equal((await registerWith(server, undefined)).status, 201);
      assertError(await registerWith(server, 'forged'), 401, 'invalid_token');
    });
  });

  test('max_registrations holds when registrations race for the last ones', async () => {
    await withAdmin({}, async (server, admin) => {
      const { token } = await issue(server, admin, { max_registrations: 3 });
      const answers = await Promise.all(Array.from({ length: 12 }, () => registerWith(server, token)));
      assert.equal(answers.filter((answer) => answer.status === 201).length, 3);
      for (const answer of answers.filter((one) => one.status !== 201)) assertError(answer, 401, 'invalid_token', /no registrations left/);
    });
  });

  test('allowed_origins: a browser on another origin is refused', async () => {
    await withAdmin({}, async (server, admin) => {
      const { token } = await issue(server, admin, { allowed_origins: ['https://app.example.com'] });
      assertError(await registerWith(server, token, MACHINE, { origin: 'https://evil.example' }), 401, 'invalid_token', /origin/);
      assert.equal((await registerWith(server, token, MACHINE, { origin: 'https://app.example.com' })).status, 201);
    });
  });

  test('scripts see the token: policy differs by token', async () => {
    await withAdmin({}, async (server, admin) => {
      await server.put(
        'gold-only',
        `export function createClient(context) {
          if (context.initialAccessToken?.claims.tier !== 'gold') throw new RegistrationError('access_denied', 'gold partners only, not ' + (context.initialAccessToken?.label ?? 'anonymous'));
          return true;
        }`,
      );
      const gold = await issue(server, admin, { label: 'gold', claims: { tier: 'gold' } });
      const silver = await issue(server, admin, { label: 'silver', claims: { tier: 'silver' } });
      assert.equal((await registerWith(server, gold.token)).status, 201);
      assertError(await registerWith(server, silver.token), 403, 'access_denied', /not silver/);
    });
  });

  test('the admin API refuses bad token requests', async () => {
    await withAdmin({}, async (server, admin) => {
      const bad = await server.request('POST', '/admin/initial-access-tokens', { token: admin, json: { max_registrations: 0, color: 'red' } });
      assertError(bad, 400, 'invalid_request');
      const readOnly = await adminToken(server.url, 'https://jans.io/oauth/config/openid/clients.readonly');
      assert.equal((await server.request('POST', '/admin/initial-access-tokens', { token: readOnly, json: {} })).status, 403);
      assert.equal((await server.request('GET', '/admin/initial-access-tokens', { token: readOnly })).status, 200);
    });
  });

  test('the MCP TypeScript SDK registers with an initial access token', async () => {
    await withAdmin({ registrationInitialAccessTokenRequired: true }, async (server, admin) => {
      const { token } = await issue(server, admin, { label: 'mcp' });
      const withToken: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });
      const clientMetadata = { redirect_uris: ['http://localhost:3000/callback'], client_name: 'MCP client', token_endpoint_auth_method: 'none' };
      const information = await registerClient(server.url, { clientMetadata, fetchFn: withToken });
      assert.equal(typeof information.client_id, 'string');
      await assert.rejects(registerClient(server.url, { clientMetadata }), /initial access token/);
    });
  });
});

describe('the client cap', () => {
  test('dynamicRegistrationMaxClients holds when registrations race, answers which limit, and frees a place on delete', async () => {
    await withAdmin({ dynamicRegistrationMaxClients: 5 }, async (server) => {
      const answers = await Promise.all(Array.from({ length: 14 }, () => server.register(MACHINE)));
      const created = answers.filter((answer) => answer.status === 201);
      assert.equal(created.length, 5);
      const full = answers.find((answer) => answer.status !== 201)!;
      assertError(full, 403, 'access_denied', /at most 5/);
      assert.equal(full.json.limit, 'dynamicRegistrationMaxClients');
      assert.equal(full.json.max, 5);
      const gone = created[0]!.json;
      assert.equal((await server.request('DELETE', `/register/${gone.client_id}`, { token: gone.registration_access_token })).status, 204);
      assert.equal((await server.register(MACHINE)).status, 201);
      assert.equal((await server.register(MACHINE)).status, 403);
    });
  });
});

describe('duplicates of a software_id', () => {
  test('refuse: a second client of the same software in the same organisation is refused, also when they race', async () => {
    await withAdmin({ dynamicRegistrationDuplicatePolicy: 'refuse', dynamicRegistrationCustomAttributes: ['org_id'] }, async (server) => {
      const software = { ...MACHINE, software_id: 'app-1', org_id: 'org-a' };
      const answers = await Promise.all(Array.from({ length: 6 }, () => server.register(software)));
      assert.equal(answers.filter((answer) => answer.status === 201).length, 1);
      const refused = answers.find((answer) => answer.status !== 201)!;
      assertError(refused, 400, 'invalid_client_metadata', /already registered/);
      const winner = answers.find((answer) => answer.status === 201)!.json;
      assert.doesNotMatch(refused.text, new RegExp(winner.client_id));
      assert.equal((await server.register({ ...software, org_id: 'org-b' })).status, 201);
      // Once the first is deleted, the software may register again.
      assert.equal((await server.request('DELETE', `/register/${winner.client_id}`, { token: winner.registration_access_token })).status, 204);
      assert.equal((await server.register(software)).status, 201);
    });
  });

  test('replace: a registration of the same software with the same verified owner deletes the earlier client once it exists', async () => {
    const directory = await testKey('ES256');
    const properties = {
      dynamicRegistrationDuplicatePolicy: 'replace',
      softwareStatementValidationType: 'builtin',
      dcrSsaValidationConfigs: [{ id: 'directory', type: 'SSA', issuers: ['https://directory.example.com'], jwks: jwksOf(directory) }],
    };
    await withAdmin(properties, async (server, admin) => {
      const gone = (client: { client_id: string; registration_access_token: string }) => server.request('GET', `/register/${client.client_id}`, { token: client.registration_access_token });
      // The same initial access token vouches for the software_id: the earlier client goes.
      const token = (await issue(server, admin)).token;
      const first = (await registerWith(server, token, { ...MACHINE, software_id: 'app-2' })).json;
      const second = await registerWith(server, token, { ...MACHINE, software_id: 'app-2' });
      assert.equal(second.status, 201);
      assertError(await gone(first), 401, 'invalid_token');
      assert.equal((await gone(second.json)).status, 200);

      // Anonymous registrations claiming that software_id (also with a self-asserted org_id) replace nothing.
      for (const claim of [{ software_id: 'app-2' }, { software_id: 'app-2', org_id: 'victim-org' }]) {
        assert.equal((await server.register({ ...MACHINE, ...claim })).status, 201);
        assert.equal((await gone(second.json)).status, 200, JSON.stringify(claim));
      }

      // A trusted directory's statement vouches too: the same software under the same issuer replaces.
      const statement = () => signWith({ iss: 'https://directory.example.com', software_id: 'app-3', grant_types: ['client_credentials'], response_types: [] }, directory);
      const viaStatement = (await server.register({ software_statement: await statement() })).json;
      assert.equal((await server.register({ software_statement: await statement() })).status, 201);
      assertError(await gone(viaStatement), 401, 'invalid_token');
    });
  });

  test('replace: a registration waiting for approval replaces nothing until it is approved', async () => {
    await withAdmin({ dynamicRegistrationDuplicatePolicy: 'replace' }, async (server, admin) => {
      const token = (await issue(server, admin)).token;
      const first = (await registerWith(server, token, { ...MACHINE, software_id: 'app-4' })).json;
      await server.put('queue-all', `export function createClient(context) { context.client.client_status = 'pending'; return true; }`);
      const pending = (await registerWith(server, token, { ...MACHINE, software_id: 'app-4' })).json;
      await server.drop('queue-all');
      assert.equal(pending.client_status, 'pending');
      assert.equal((await server.request('GET', `/register/${first.client_id}`, { token: first.registration_access_token })).status, 200);
      assert.equal((await server.request('POST', `/admin/clients/${pending.client_id}/approve`, { token: admin })).status, 200);
      assertError(await server.request('GET', `/register/${first.client_id}`, { token: first.registration_access_token }), 401, 'invalid_token');
    });
  });
});

describe('approval', () => {
  test('registrationApprovalRequired: pending until approved; the client cannot approve itself; reject deletes', async () => {
    await withAdmin({ registrationApprovalRequired: true }, async (server, admin) => {
      const registered = await server.register({ ...MACHINE, client_status: 'active' });
      assert.equal(registered.status, 201, registered.text);
      assert.equal(registered.json.client_status, 'pending');
      const { client_id: clientId, registration_access_token: token } = registered.json;
      assert.equal((await server.request('GET', `/register/${clientId}`, { token })).json.client_status, 'pending');
      const updated = await server.request('PUT', `/register/${clientId}`, { token, json: { ...MACHINE, client_id: clientId, client_name: 'renamed' } });
      assert.equal(updated.json.client_status, 'pending');
      const pending = (await server.request('GET', '/admin/clients?status=pending', { token: admin })).json;
      assert.deepEqual(pending.entries.map((client: { inum: string }) => client.inum), [clientId]);
      assert.equal(pending.entries[0].clientStatus, 'pending');

      const approved = await server.request('POST', `/admin/clients/${clientId}/approve`, { token: admin });
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.json.clientStatus, 'active');
      assert.equal((await server.request('GET', `/register/${clientId}`, { token })).json.client_status, 'active');
      assert.equal((await server.request('POST', `/admin/clients/${clientId}/approve`, { token: admin })).status, 409);
      assert.equal((await server.request('GET', '/admin/clients?status=pending', { token: admin })).json.totalEntriesCount, 0);

      const other = (await server.register(MACHINE)).json;
      assert.equal((await server.request('POST', `/admin/clients/${other.client_id}/reject`, { token: admin })).status, 204);
      assert.equal((await server.request('GET', `/admin/clients/${other.client_id}`, { token: admin })).status, 404);
    });
  });

  test('a script queues one registration by setting client_status to pending', async () => {
    await withAdmin({}, async (server) => {
      await server.put('queue-unknown', `export function createClient(context) { if (!context.client.software_id) context.client.client_status = 'pending'; return true; }`);
      assert.equal((await server.register(MACHINE)).json.client_status, 'pending');
      assert.equal((await server.register({ ...MACHINE, software_id: 'known' })).json.client_status, undefined);
    });
  });
});

describe('inactivity', () => {
  test('a client unused for dynamicClientInactivityExpirationDays is deleted; a use (an RFC 7592 call) keeps it', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    await withAdmin({ dynamicClientInactivityExpirationDays: 2 }, async (server) => {
      const idle = (await server.register(MACHINE)).json;
      const busy = (await server.register(MACHINE)).json;
      now += 86_400_000 * 1.5;
      assert.equal((await server.request('GET', `/register/${busy.client_id}`, { token: busy.registration_access_token })).status, 200);
      let admin = await adminToken(server.url);
      const shown = (await server.request('GET', `/admin/clients/${busy.client_id}`, { token: admin })).json;
      assert.equal(shown.lastUsedAt, new Date(now).toISOString());
      assert.equal(shown.inactivityExpirationDate, new Date(now + 2 * 86_400_000).toISOString());
      now += 86_400_000;
      assert.equal(await purgeInactive(server.registrar.services, now), 1);
      admin = await adminToken(server.url);
      assert.equal((await server.request('GET', `/admin/clients/${idle.client_id}`, { token: admin })).status, 404);
      assert.equal((await server.request('GET', `/admin/clients/${busy.client_id}`, { token: admin })).status, 200);
    }, () => now);
  });
});
