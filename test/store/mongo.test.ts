// The Store contract and the MongoDB specifics against a real wire server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { MongoStore } from '../../core/store/index.ts';
import { startWireServer, wireServerAvailable, WIRE_SERVER_UNAVAILABLE, type WireServer } from '../helpers/mongo.ts';
import { record, storeContract } from './contract.ts';

const available = wireServerAvailable();
let wire: WireServer | undefined;

if (!available) {
  describe('MongoDB store', () => {
    it.skip(WIRE_SERVER_UNAVAILABLE);
  });
} else {
  storeContract(
    'mongodb',
    async () => {
      wire = await startWireServer();
      return MongoStore.connect({ uri: wire.uri, database: wire.database, logger: pino({ level: 'silent' }) });
    },
    async () => {
      await wire?.close();
    },
  );

  describe('MongoDB store specifics', () => {
    let server: WireServer;
    let store: MongoStore;
    before(async () => {
      server = await startWireServer();
      store = await MongoStore.connect({ uri: server.uri, database: server.database, logger: pino({ level: 'silent' }), serverSelectionTimeoutMs: 1000 });
    });
    after(async () => {
      await store.close();
      await server.close();
    });

    it('claims revisions only where conditional updates are not atomic: FerretDB detected, or configured', { skip: process.env.MONGODB_URI ? 'detection is checked against the FerretDB this suite starts' : false }, async () => {
      assert.equal(store.claimsRevisions, true, 'FerretDB is detected');
      const configured = await MongoStore.connect({ uri: server.uri, database: `${server.database}_plain`, logger: pino({ level: 'silent' }), revisionClaims: false });
      try {
        assert.equal(configured.claimsRevisions, false);
      } finally {
        await configured.close();
      }
    });

    it('answers TemporarilyUnavailable (503) while the server is down, and resumes by itself', { skip: process.env.MONGODB_URI ? 'needs the FerretDB this suite starts' : false }, async () => {
      const client = record();
      await store.clients.insert(client);
      await server.stop!();
      await assert.rejects(store.clients.find(client.clientId, Date.now()), { name: 'TemporarilyUnavailable', status: 503 });
      // Detected: the circuit is open, and later operations fail at once, without asking the driver (no driver error as their cause).
      await assert.rejects(store.clients.find(client.clientId, Date.now()), (err: Error) => err.name === 'TemporarilyUnavailable' && err.cause === undefined);
      await server.start!();
      // The background probe closes the circuit once the server answers again.
      const deadline = Date.now() + 15_000;
      let found;
      while (!found && Date.now() < deadline) {
        found = await store.clients.find(client.clientId, Date.now()).catch(() => undefined);
        if (!found) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(found?.clientId, client.clientId);
    });
  });
}
