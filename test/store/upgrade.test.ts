// Upgrades: a store written by an earlier Registrar is brought to the current schema at start,
// everything in it kept; a store written by a newer one is refused, untouched. The embedded case
// starts from a database the previous version wrote (test/store/fixtures/b2a84ae, made by that
// commit's server: three clients, one updated, decisions, an initial access token, an
// administration client, a configuration from a file).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import pino from 'pino';
import { MongoStore } from '../../core/store/index.ts';
import { SCHEMA_VERSION as EMBEDDED_SCHEMA } from '../../core/store/embedded/schema.ts';
import { SCHEMA_VERSION as MONGO_SCHEMA } from '../../core/store/mongo/schema.ts';
import { failedStart, startProcess, stopProcess } from '../helpers/process.ts';
import { startWireServer, wireServerAvailable, WIRE_SERVER_UNAVAILABLE } from '../helpers/mongo.ts';
import { freePort, httpRequest, tempDir } from '../helpers/server.ts';

const FIXTURE = new URL('./fixtures/b2a84ae/', import.meta.url).pathname;
const made = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as {
  encryption_key_hex: string;
  admin: { client_id: string; client_secret: string };
  clients: Array<{ client_id: string; client_secret: string | null; registration_access_token: string; client_name: string }>;
  initial_access_token: { token: string };
};

const userVersion = (file: string) => {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  } finally {
    db.close();
  }
};

describe('upgrading the embedded store', () => {
  it("starts on the previous version's database: its clients, secrets, tokens, decisions and administration client all there, the schema brought forward", async () => {
    const dataDir = tempDir();
    cpSync(join(FIXTURE, 'registrar.db'), join(dataDir, 'registrar.db'));
    const env = {
      PORT: String(await freePort()),
      DCR_HOST: '127.0.0.1',
      DCR_DATA_DIR: dataDir,
      DCR_SCRIPTS_OPTIONAL: 'true',
      DCR_SCRIPTS_DIR: join(dataDir, 'none'),
      DCR_ENCRYPTION_KEY: made.encryption_key_hex,
      DCR_LOG_LEVEL: 'info',
    };
    try {
      assert.equal(userVersion(join(dataDir, 'registrar.db')), 0, 'the previous version kept no schema version');
      const running = await startProcess(env);
      try {
        assert.match(running.stdout(), /the embedded store was brought to the current schema/);
        assert.match(running.line, /; configuration stored revision 1;/);
        for (const client of made.clients) {
          const read = await httpRequest(`${running.url}/register/${client.client_id}`, 'GET', { token: client.registration_access_token });
          assert.equal(read.status, 200, read.text);
          assert.equal(read.json.client_name, client.client_name);
        }
        // An update with the client's secret: the secret sealed by the previous version opens.
        const [alpha] = made.clients;
        const updated = await httpRequest(`${running.url}/register/${alpha!.client_id}`, 'PUT', {
          token: alpha!.registration_access_token,
          json: { client_id: alpha!.client_id, client_secret: alpha!.client_secret, redirect_uris: ['https://a.example.org/cb'], client_name: 'Alpha, upgraded', software_id: 'sw-1' },
        });
        assert.equal(updated.status, 200, updated.text);
        const token = await httpRequest(`${running.url}/token`, 'POST', {
          body: 'grant_type=client_credentials',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${made.admin.client_id}:${made.admin.client_secret}`).toString('base64')}` },
        });
        assert.equal(token.status, 200, token.text);
        const decisions = await httpRequest(`${running.url}/admin/decisions?operation=create`, 'GET', { token: token.json.access_token });
        assert.equal(decisions.json.decisions.length, 3, 'the decision records the previous version wrote');
        const config = await httpRequest(`${running.url}/admin/config`, 'GET', { token: token.json.access_token });
        assert.equal(config.json.dynamicRegistrationExpirationTime, 31536000, 'its configuration');
        const withToken = await httpRequest(`${running.url}/register`, 'POST', { json: { redirect_uris: ['https://d.example.org/cb'] }, token: made.initial_access_token.token });
        assert.equal(withToken.status, 201, 'its initial access token');
      } finally {
        assert.equal(await stopProcess(running), 0);
      }
      assert.equal(userVersion(join(dataDir, 'registrar.db')), EMBEDDED_SCHEMA);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a database a newer version wrote, and leaves it as it was', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'registrar.db');
    cpSync(join(FIXTURE, 'registrar.db'), file);
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA user_version = ${EMBEDDED_SCHEMA + 1}`);
    db.close();
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    try {
      const refused = await failedStart({ PORT: String(await freePort()), DCR_DATA_DIR: dataDir, DCR_SCRIPTS_OPTIONAL: 'true', DCR_SCRIPTS_DIR: join(dataDir, 'none'), DCR_ENCRYPTION_KEY: made.encryption_key_hex });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`^Registrar failed to start: the database .*registrar\\.db has schema ${EMBEDDED_SCHEMA + 1}, written by a newer Registrar; this one knows schemas up to ${EMBEDDED_SCHEMA}`));
      assert.equal(createHash('sha256').update(readFileSync(file)).digest('hex'), before, 'untouched');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('upgrading the MongoDB store', { skip: !wireServerAvailable() && WIRE_SERVER_UNAVAILABLE }, () => {
  it('drops what the previous version kept that this one does not use, records the schema, and refuses a newer one', async () => {
    const wire = await startWireServer();
    const logger = pino({ level: 'silent' });
    try {
      // The previous version's decisions collection: an index on the per-record expiry (a TTL index where the server has them).
      const { MongoClient } = await import('mongodb');
      const client = await MongoClient.connect(wire.uri);
      const db = client.db(wire.database);
      await db.collection('decisions').createIndex({ expires_at: 1 }, { name: 'expires_at' });
      const store = await MongoStore.connect({ uri: wire.uri, database: wire.database, logger });
      await store.close();
      assert.deepEqual((await db.collection('decisions').indexes()).map((index) => index.name).filter((name) => name?.startsWith('expires_at')), []);
      assert.equal((await db.collection('meta').findOne({ _id: 'schema' as never }))?.version, MONGO_SCHEMA);
      await db.collection('meta').updateOne({ _id: 'schema' as never }, { $set: { version: MONGO_SCHEMA + 1 } });
      await assert.rejects(MongoStore.connect({ uri: wire.uri, database: wire.database, logger }), new RegExp(`has schema ${MONGO_SCHEMA + 1}, written by a newer Registrar`));
      await client.close();
    } finally {
      await wire.close();
    }
  });
});
