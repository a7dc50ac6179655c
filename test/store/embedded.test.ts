import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../core/store/index.ts';
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
      await a.insert(client);
      assert.deepEqual(await b.find(client.clientId, Date.now()), client);
      assert.equal(await b.replace({ ...client, revision: 2 }, 1), true);
      assert.equal(await a.replace({ ...client, revision: 2 }, 1), false, 'optimistic concurrency across handles');
      await a.close();
      await b.close();
      const reopened = new EmbeddedStore(shared);
      assert.equal((await reopened.find(client.clientId, Date.now()))?.revision, 2);
      await reopened.close();
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('reports a closed database as temporarily unavailable', async () => {
    const closedDir = tempDir();
    const store = new EmbeddedStore(closedDir);
    await store.close();
    await assert.rejects(store.find('x', Date.now()), { name: 'TemporarilyUnavailable', status: 503 });
    rmSync(closedDir, { recursive: true, force: true });
  });
});
