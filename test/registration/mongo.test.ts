// Registration end to end on the MongoDB store against a real wire server: shared configuration
// and decision log between instances, and an outage in the middle of a run of registrations.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { MongoStore } from '../../core/store/index.ts';
import { startWireServer, wireServerAvailable, WIRE_SERVER_UNAVAILABLE, type WireServer } from '../helpers/mongo.ts';
import { startScriptServer } from '../helpers/scripts.ts';
import { assertError, startServer, WEB_CLIENT, type TestServer } from '../helpers/server.ts';

const pathOf = (client: any) => new URL(client.registration_client_uri).pathname;

if (!wireServerAvailable()) {
  describe('registration on MongoDB', () => it.skip(WIRE_SERVER_UNAVAILABLE));
} else {
  describe('registration on MongoDB', () => {
    let wire: WireServer;
    before(async () => {
      wire = await startWireServer();
    });
    after(() => wire.close());

    const connect = (logger = pino({ level: 'silent' })) =>
      MongoStore.connect({ uri: wire.uri, database: wire.database, logger, serverSelectionTimeoutMs: 1000 });

    it('registers, reads, updates and deletes; concurrent PUTs never lose one silently', async () => {
      const server = await startServer({ store: await connect() });
      try {
        const created = await server.register({ ...WEB_CLIENT, client_name: 'On Mongo', 'client_name#fr': 'Sur Mongo' });
        assert.equal(created.status, 201, created.text);
        const token = created.json.registration_access_token;
        const read = await server.request('GET', pathOf(created.json), { token });
        assert.equal(read.json['client_name#fr'], 'Sur Mongo');
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => server.request('PUT', pathOf(created.json), { token, json: { ...WEB_CLIENT, client_name: `w${i}` } })),
        );
        const winners = results.filter((r) => r.status === 200).map((r) => r.json.client_name);
        assert.ok(results.every((r) => r.status === 200 || r.status === 409));
        const final = await server.request('GET', pathOf(created.json), { token });
        assert.ok(winners.includes(final.json.client_name), `${final.json.client_name} not in ${winners}`);
        assert.equal((await server.request('DELETE', pathOf(created.json), { token })).status, 204);
        assertError(await server.request('GET', pathOf(created.json), { token }), 401, 'invalid_token');
      } finally {
        await server.close();
      }
    });

    it('shares the configuration and the decision log between instances', async () => {
      // Instance A starts with a configuration file: it is written to the store.
      const a = await startScriptServer(
        { tagger: `export function modifyPostResponse(r) { r.tagged = true; return true; }` },
        { store: await connect(), properties: undefined, env: { DCR_CONFIG: await configFile({ dynamicRegistrationScopesParamEnabled: false, dynamicRegistrationDefaultScopes: ['openid', 'phone'] }) } },
      );
      // Instance B starts without one and follows the stored configuration.
      const b = await startServer({ store: await connect(), properties: undefined });
      try {
        const viaA = await a.register({ ...WEB_CLIENT, scope: 'email' });
        const viaB = await b.register({ ...WEB_CLIENT, scope: 'email' });
        assert.equal(viaA.json.scope, 'openid phone');
        assert.equal(viaB.json.scope, 'openid phone');
        assert.equal((await b.request('GET', pathOf(viaA.json), { token: viaA.json.registration_access_token })).status, 200, 'B reads what A registered');
        await a.registrar.flushDecisions();
        await b.registrar.flushDecisions();
        const history = await b.registrar.store.decisions.list({ clientId: viaA.json.client_id, limit: 5 });
        assert.deepEqual(history.map((d) => d.operation), ['read', 'create'], 'newest first');
        const decision = history[1];
        assert.equal(decision?.operation, 'create');
        assert.equal(decision?.status, 201);
        assert.equal(decision?.outcome, 'ok');
        assert.equal(decision?.requestId, viaA.headers.get('x-request-id'));
        assert.deepEqual(decision?.scripts.map((s) => [s.script, s.hook, s.decision]), [['tagger', 'modifyPostResponse', 'true']]);
        assert.ok(decision!.latencyMs > 0);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('survives MongoDB going away during registrations: 503 with Retry-After, one log line, every 201 readable', { skip: process.env.MONGODB_URI ? 'needs the FerretDB this suite starts' : false }, async () => {
      const lines: any[] = [];
      const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
      const server: TestServer = await startServer({ store: await connect(logger), logger });
      const created: any[] = [];
      const statuses: number[] = [];
      try {
        const run = async (count: number) => {
          for (let i = 0; i < count; i += 1) {
            const response = await server.register({ ...WEB_CLIENT, client_name: `outage-${statuses.length}` });
            statuses.push(response.status);
            if (response.status === 201) created.push(response.json);
            else {
              assertError(response, 503, 'temporarily_unavailable');
              assert.ok(Number(response.headers.get('retry-after')) > 0);
            }
          }
        };
        await run(10);
        await wire.stop!();
        await run(3);
        await wire.start!();
        // The driver reconnects by itself; registrations succeed again without a restart.
        const deadline = Date.now() + 20_000;
        while (statuses.at(-1) !== 201 && Date.now() < deadline) await run(1);
        await run(5);
        assert.ok(statuses.slice(10, 13).every((s) => s === 503), String(statuses));
        assert.equal(statuses.at(-1), 201);
        for (const client of created) {
          const read = await server.request('GET', pathOf(client), { token: client.registration_access_token });
          assert.equal(read.status, 200, `${client.client_id} was acknowledged but is not readable`);
        }
        assert.equal(lines.filter((l) => l.msg?.startsWith('MongoDB is unreachable')).length, 1, 'one clear line per outage');
        assert.equal(lines.filter((l) => l.msg === 'MongoDB is reachable again').length, 1);
      } finally {
        await server.close();
      }
    });
  });
}

async function configFile(properties: Record<string, unknown>): Promise<string> {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('../helpers/server.ts');
  const file = join(tempDir(), 'config.json');
  writeFileSync(file, JSON.stringify(properties));
  return file;
}
