import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { EmbeddedStore } from '../../core/store/index.ts';
import { whereOf } from '../../core/store/embedded/index.ts';
import { tempDir } from '../helpers/server.ts';
import { record, storeContract } from './contract.ts';

const dir = tempDir();
storeContract('embedded (node:sqlite)', async () => new EmbeddedStore(dir), async () => rmSync(dir, { recursive: true, force: true }));

describe('embedded store', () => {
  it('keeps clients across reopening, and two handles on one file see each other\'s writes', async () => {
    const shared = tempDir();
    try {
      const a = new EmbeddedStore(shared);
      const b = new EmbeddedStore(shared);
      const client = record();
      await a.clients.insert(client);
      assert.deepEqual(await b.clients.find(client.clientId, Date.now()), client);
      assert.equal(await b.clients.replace({ ...client, revision: 2 }, 1), true);
      assert.equal(await a.clients.replace({ ...client, revision: 2 }, 1), false, 'optimistic concurrency across handles');
      await a.close();
      await b.close();
      const reopened = new EmbeddedStore(shared);
      assert.equal((await reopened.clients.find(client.clientId, Date.now()))?.revision, 2);
      await reopened.close();
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('looks clients up by redirect host, software_id and organisation through indexes, never a scan of every client', async () => {
    const indexed = tempDir();
    try {
      const store = new EmbeddedStore(indexed);
      const a = record({ metadata: { redirect_uris: ['https://one.example/cb', 'https://two.example/cb'], software_id: 'sw' } });
      await store.clients.insert(a);
      await store.clients.insert(record({ metadata: { redirect_uris: ['https://two.example/other'] } }));
      assert.equal(await store.clients.count({ redirectHost: 'one.example' }, Date.now()), 1);
      assert.equal(await store.clients.count({ redirectHost: 'two.example' }, Date.now()), 2);
      await store.clients.replace({ ...a, metadata: { redirect_uris: ['https://three.example/cb'] }, revision: 2 }, 1);
      assert.equal(await store.clients.count({ redirectHost: 'one.example' }, Date.now()), 0, 'an update moves the host rows');
      assert.equal(await store.clients.count({ redirectHost: 'three.example' }, Date.now()), 1);
      await store.clients.remove(a.clientId);
      assert.equal(await store.clients.count({ redirectHost: 'three.example' }, Date.now()), 0, 'a deletion removes them');
      await store.close();
      const db = new DatabaseSync(join(indexed, 'registrar.db'));
      const hostRows = db.prepare('SELECT host FROM client_redirect_hosts ORDER BY host').all().map((row) => row.host);
      assert.deepEqual(hostRows, ['two.example'], 'updates and deletions leave no host row behind');
      const triggerPlan = db.prepare(`EXPLAIN QUERY PLAN DELETE FROM client_redirect_hosts WHERE client_id = 'c' AND host IN (SELECT value FROM json_each('["a","b"]'))`).all().map((row) => String(row.detail));
      assert.ok(!triggerPlan.some((step) => /^SCAN client_redirect_hosts/.test(step)), triggerPlan.join('; '));
      for (const filter of [{ redirectHost: 'h' }, { softwareId: 's' }, { organisation: 'o' }]) {
        const { where, values } = whereOf(filter, 0);
        const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT count(*) FROM clients WHERE ${where}`).all(...values).map((row) => String(row.detail));
        assert.ok(!plan.some((step) => /^SCAN clients$/.test(step)), `${JSON.stringify(filter)}: ${plan.join('; ')}`);
      }
      db.close();
    } finally {
      rmSync(indexed, { recursive: true, force: true });
    }
  });

  it('checkpoints the WAL into the database file on a thread of its own, while serving', async () => {
    const walDir = tempDir();
    try {
      const store = new EmbeddedStore(walDir);
      const file = join(walDir, 'registrar.db');
      const empty = statSync(file).size;
      for (let batch = 0; batch < 20; batch += 1) await Promise.all(Array.from({ length: 50 }, () => store.clients.insert(record({ metadata: { client_name: 'x'.repeat(500) } }))));
      // The serving connection's own checkpoint would wait for a far larger WAL: pages reach the file only through the thread.
      const deadline = Date.now() + 5000;
      while (statSync(file).size < empty + 500_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(statSync(file).size >= empty + 500_000, `the database file grew from ${empty} to ${statSync(file).size} bytes`);
      assert.equal(await store.clients.count({}, Date.now()), 1000);
      await store.close();
    } finally {
      rmSync(walDir, { recursive: true, force: true });
    }
  });

  it('reports a closed database as temporarily unavailable', async () => {
    const closedDir = tempDir();
    const store = new EmbeddedStore(closedDir);
    await store.close();
    await assert.rejects(store.clients.find('x', Date.now()), { name: 'TemporarilyUnavailable', status: 503 });
    rmSync(closedDir, { recursive: true, force: true });
  });
});
