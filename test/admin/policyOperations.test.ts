// Policy operations through HTTP: reading the decision log, and replaying a candidate script
// against recorded registrations before it is saved.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { assertError } from '../helpers/server.ts';

const GATE = `export function createClient(context) {
  if (context.client.software_id === 'blocked') throw new RegistrationError('invalid_client_metadata', 'blocked software');
  return true;
}`;

describe('the decision log, read', () => {
  test('filters by outcome, script, client, request, operation and time; pages newest first; keeps requests without secrets', async () => {
    const server = await startAdminServer({}, { gate: GATE });
    try {
      const admin = await adminToken(server.url);
      const ok = await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'fine' });
      const refused = await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'blocked' });
      assert.equal(refused.status, 400);
      await server.request('PUT', `/register/${ok.json.client_id}`, { token: ok.json.registration_access_token, json: { redirect_uris: ['https://client.example.org/cb'], client_id: ok.json.client_id, client_secret: ok.json.client_secret } });
      await server.registrar.flushDecisions();
      const read = async (query: string) => {
        const answer = await server.request('GET', `/admin/decisions${query}`, { token: admin });
        assert.equal(answer.status, 200, answer.text);
        return answer.json as { decisions: any[]; next: string | null };
      };
      const all = await read('');
      assert.deepEqual(all.decisions.map((record) => record.operation), ['update', 'create', 'create']);
      const blocked = (await read('?outcome=invalid_client_metadata')).decisions;
      assert.equal(blocked.length, 1);
      assert.deepEqual(blocked[0].request, { redirect_uris: ['https://client.example.org/cb'], software_id: 'blocked' });
      assert.equal(blocked[0].scripts[0].script, 'gate');
      assert.match(blocked[0].scripts[0].version, /^[0-9a-f]{12}$/);
      assert.equal((await read(`?version=${blocked[0].scripts[0].version}`)).decisions.length, 2, 'the update called no hook of gate');
      assert.equal((await read('?script=gate&operation=create')).decisions.length, 2);
      assert.equal((await read('?script=nobody')).decisions.length, 0);
      const update = (await read(`?client_id=${ok.json.client_id}&operation=update`)).decisions[0];
      assert.equal(update.request.client_secret, undefined, 'the secret sent back on update is not kept');
      assert.equal((await read(`?request_id=${encodeURIComponent(blocked[0].requestId)}`)).decisions[0].id, blocked[0].id);
      assert.equal((await read(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).decisions.length, 0);
      assert.equal((await read(`?until=${Date.now() + 60_000}&since=0`)).decisions.length, 3);
      const first = await read('?limit=2');
      assert.equal(first.decisions.length, 2);
      const second = await read(`?limit=2&cursor=${first.next}`);
      assert.deepEqual([...first.decisions, ...second.decisions].map((record) => record.id), all.decisions.map((record) => record.id));
      assertError(await server.request('GET', '/admin/decisions?since=yesterday', { token: admin }), 400, 'invalid_request');
      assertError(await server.request('GET', '/admin/decisions?cursor=bogus', { token: admin }), 400, 'invalid_request');
    } finally {
      await server.close();
    }
  });

  test('decisionLogStoreRequests off: no request kept', async () => {
    const server = await startAdminServer({ properties: { decisionLogStoreRequests: false } });
    try {
      await server.register({ redirect_uris: ['https://client.example.org/cb'] });
      await server.registrar.flushDecisions();
      const [record] = (await server.request('GET', '/admin/decisions', { token: await adminToken(server.url) })).json.decisions;
      assert.equal(record.request, undefined);
    } finally {
      await server.close();
    }
  });
});

describe('replay', () => {
  test('the active version replayed reports no change; a candidate shows what it would change; nothing is stored', async () => {
    const server = await startAdminServer({}, { gate: GATE });
    try {
      const admin = await adminToken(server.url);
      for (const softwareId of ['a', 'b', 'blocked', 'c']) await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: softwareId });
      await server.registrar.flushDecisions();
      const clients = (await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount;
      const replay = (body: Record<string, unknown>) => server.request('POST', '/admin/scripts/gate/replay', { token: admin, json: body });

      const same = await replay({ source: GATE });
      assert.equal(same.status, 200, same.text);
      assert.equal(same.json.total, 4);
      assert.equal(same.json.changed, 0, JSON.stringify(same.json.records.filter((record: { diff: object }) => Object.keys(record.diff).length)));

      const candidate = `export function createClient(context) {
        if (context.client.software_id === 'b') throw new RegistrationError('invalid_client_metadata', 'b is retired');
        context.client.client_name = 'named by policy';
        return true;
      }`;
      const report = (await replay({ source: candidate, last: 10 })).json;
      assert.equal(report.total, 4);
      assert.equal(report.changed, 4);
      const bySoftware = (id: string) => report.records.find((record: any) => (record.before.client ?? {}).software_id === id || record.after.client?.software_id === id || (id === 'blocked' && record.before.outcome === 'refused'));
      assert.deepEqual(bySoftware('b').diff.outcome, { before: 'accepted', after: 'invalid_client_metadata: b is retired' });
      assert.deepEqual(bySoftware('a').diff.client_name, { before: null, after: 'named by policy' });
      assert.equal(bySoftware('blocked').after.outcome, 'accepted');
      assert.equal((await replay({ source: candidate, last: 2 })).json.total, 2);

      assertError(await replay({ source: 'export function createClient( {' }), 400, 'invalid_request', /cannot be loaded/);
      assertError(await replay({ source: GATE, color: 'red' }), 400, 'invalid_request');
      assert.equal((await server.request('GET', '/admin/clients', { token: admin })).json.totalEntriesCount, clients, 'nothing was stored');
    } finally {
      await server.close();
    }
  });
});

describe('shadow mode', () => {
  test('name.next shadows the live version: recorded and counted as agreed, would-refuse, would-change; never applied', async () => {
    const live = `export function createClient(context) { context.client.client_name = 'live'; return true; }`;
    const next = `export function createClient(context) {
      if (context.client.software_id === 'doomed') throw new RegistrationError('invalid_client_metadata', 'would be refused');
      context.client.client_name = context.client.software_id === 'renamed' ? 'next' : 'live';
      return true;
    }`;
    const server = await startAdminServer({}, { namer: live, 'namer.next': next });
    try {
      const admin = await adminToken(server.url);
      const status = (await server.request('GET', '/admin/scripts', { token: admin })).json.scripts;
      assert.equal(status.find((entry: { name: string }) => entry.name === 'namer.next').mode, 'shadow');
      assert.equal(status.find((entry: { name: string }) => entry.name === 'namer').mode, 'enforce');
      const agreed = await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'plain' });
      const doomed = await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'doomed' });
      const renamed = await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'renamed' });
      for (const answer of [agreed, doomed, renamed]) {
        assert.equal(answer.status, 201, answer.text);
        assert.equal(answer.json.client_name, 'live');
      }
      await server.registrar.flushDecisions();
      const verdictOf = async (clientId: string) => {
        const [record] = (await server.request('GET', `/admin/decisions?client_id=${clientId}`, { token: admin })).json.decisions;
        return record.scripts.find((call: { script: string }) => call.script === 'namer.next').decision;
      };
      assert.equal(await verdictOf(agreed.json.client_id), 'shadow:agreed');
      assert.equal(await verdictOf(doomed.json.client_id), 'shadow:would-refuse');
      assert.equal(await verdictOf(renamed.json.client_id), 'shadow:would-change');
      const metrics = (await server.request('GET', '/metrics')).text;
      for (const verdict of ['agreed', 'would-refuse', 'would-change']) {
        assert.match(metrics, new RegExp(`registrar_shadow_decisions_total\\{script="namer.next",hook="createClient",verdict="${verdict}"\\} 1`));
      }
    } finally {
      await server.close();
    }
  });

  test('mode: shadow in the settings; a failing shadow script never fails the request; a refused request records would-accept', async () => {
    const server = await startAdminServer({}, {
      gate: GATE,
      watcher: [`export function createClient(context) { if (context.client.software_id === 'boom') throw new Error('bug'); return true; }`, { mode: 'shadow', priority: 1 }],
    });
    try {
      const admin = await adminToken(server.url);
      const boom = await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'boom' });
      assert.equal(boom.status, 201, boom.text);
      const blocked = await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: 'blocked' });
      assert.equal(blocked.status, 400);
      await server.registrar.flushDecisions();
      const decisions = (await server.request('GET', '/admin/decisions?script=watcher', { token: admin })).json.decisions;
      const verdicts = decisions.map((record: { scripts: Array<{ script: string; decision: string }> }) => record.scripts.find((call) => call.script === 'watcher')!.decision);
      assert.deepEqual(verdicts, ['shadow:would-accept', 'shadow:failed']);
    } finally {
      await server.close();
    }
  });
});
