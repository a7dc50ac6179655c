// The registration decision log on the embedded store: one record per request, failures included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startScriptServer } from '../helpers/scripts.ts';
import { WEB_CLIENT } from '../helpers/server.ts';

describe('decision log', () => {
  it('records every registration request with its outcome, scripts, decisions and latency', async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const server = await startScriptServer(
      {
        gate: `export function createClient(context) { if (context.request.client_name === 'no') return false; }
               export function modifyScopes(scopes) { return scopes; }`,
      },
      { clock: () => now, properties: { decisionLogRetentionDays: 1 } },
    );
    try {
      const created = await server.register({ ...WEB_CLIENT, client_name: 'yes' });
      const refused = await server.register({ ...WEB_CLIENT, client_name: 'no' });
      const invalid = await server.register({ redirect_uris: ['http://bad.example/cb'] });
      const unauthorised = await server.request('GET', new URL(created.json.registration_client_uri).pathname, { token: 'wrong' });
      assert.deepEqual([created.status, refused.status, invalid.status, unauthorised.status], [201, 400, 400, 401]);
      await server.registrar.flushDecisions();
      const log = await server.registrar.store.decisions.list({ limit: 10 });
      assert.equal(log.length, 4);
      const byRequest = new Map(log.map((d) => [d.requestId, d]));
      const ok = byRequest.get(created.headers.get('x-request-id')!)!;
      assert.equal(ok.clientId, created.json.client_id);
      assert.equal(ok.operation, 'create');
      assert.equal(ok.outcome, 'ok');
      assert.deepEqual(ok.scripts.map((s) => `${s.script}.${s.hook}=${s.decision}`), ['gate.createClient=none', 'gate.modifyScopes=list(1)']);
      const no = byRequest.get(refused.headers.get('x-request-id')!)!;
      assert.equal(no.status, 400);
      assert.equal(no.outcome, 'invalid_client_metadata');
      assert.deepEqual(no.scripts.map((s) => s.decision), ['false']);
      assert.equal(byRequest.get(invalid.headers.get('x-request-id')!)!.outcome, 'invalid_redirect_uri');
      const denied = byRequest.get(unauthorised.headers.get('x-request-id')!)!;
      assert.equal(denied.operation, 'read');
      assert.equal(denied.outcome, 'invalid_token');
      assert.equal(denied.clientId, created.json.client_id, 'the client the attempt was about');
      now += 86_400_000;
      assert.equal(await server.registrar.store.decisions.purge(now), 4, 'kept decisionLogRetentionDays');
    } finally {
      await server.close();
    }
  });
});
