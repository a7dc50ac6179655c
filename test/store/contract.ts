// The storage contract, role by role, run against every backend.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ClientRecord, Store } from '../../core/store/index.ts';

export function record(overrides: Partial<ClientRecord> = {}): ClientRecord {
  const now = Date.now();
  return {
    clientId: randomUUID(),
    metadata: { redirect_uris: ['https://a.example/cb'], client_name: 'Contract', software_id: 'sw-1' },
    secret: 'v1.sealed',
    registrationAccessTokenHash: 'hash',
    clientIdIssuedAt: Math.floor(now / 1000),
    clientSecretExpiresAt: 0,
    expiresAt: null,
    createdAt: now,
    updatedAt: now,
    revision: 1,
    ...overrides,
  };
}

export function storeContract(name: string, open: () => Promise<Store>, cleanup: () => Promise<void> = async () => {}): void {
  describe(`storage contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    describe('clients', () => {
      it('inserts and finds a client, round-tripping every field', async () => {
        const client = record({ metadata: { redirect_uris: ['https://a.example/cb'], 'client_name#fr': 'Client', jwks: { keys: [{ kty: 'EC' }] } } });
        await store.clients.insert(client);
        assert.deepEqual(await store.clients.find(client.clientId, Date.now()), client);
        assert.equal(await store.clients.find(randomUUID(), Date.now()), undefined);
      });

      it('refuses a duplicate client_id', async () => {
        const client = record();
        await store.clients.insert(client);
        await assert.rejects(store.clients.insert({ ...client }));
      });

      it('stores every one of many concurrent inserts; a duplicate among them fails alone', async () => {
        const existing = record();
        await store.clients.insert(existing);
        const fresh = Array.from({ length: 40 }, () => record({ metadata: { redirect_uris: ['https://burst.example/cb'] } }));
        const outcomes = await Promise.allSettled([...fresh.slice(0, 20), { ...existing }, ...fresh.slice(20)].map((client) => store.clients.insert(client)));
        assert.deepEqual(
          outcomes.map((outcome) => outcome.status),
          [...Array(20).fill('fulfilled'), 'rejected', ...Array(20).fill('fulfilled')],
        );
        for (const client of fresh) assert.deepEqual(await store.clients.find(client.clientId, Date.now()), client);
        assert.equal(await store.clients.count({ redirectHost: 'burst.example' }, Date.now()), 40);
      });

      it('hides expired clients and purges them', async () => {
        const now = Date.now();
        const expiring = record({ expiresAt: now + 1000 });
        const lasting = record();
        await store.clients.insert(expiring);
        await store.clients.insert(lasting);
        assert.ok(await store.clients.find(expiring.clientId, now));
        assert.equal(await store.clients.find(expiring.clientId, now + 1000), undefined);
        assert.ok((await store.clients.purgeExpired(now + 1000)) >= 1);
        assert.equal(await store.clients.find(expiring.clientId, now), undefined, 'gone after purge');
        assert.ok(await store.clients.find(lasting.clientId, now + 10_000_000));
      });

      it('replaces only the revision it read (optimistic concurrency)', async () => {
        const client = record();
        await store.clients.insert(client);
        const first = { ...client, metadata: { ...client.metadata, client_name: 'first' }, revision: 2 };
        const second = { ...client, metadata: { ...client.metadata, client_name: 'second' }, revision: 2 };
        assert.equal(await store.clients.replace(first, 1), true);
        assert.equal(await store.clients.replace(second, 1), false, 'a stale writer loses');
        assert.equal((await store.clients.find(client.clientId, Date.now()))?.metadata.client_name, 'first');
        assert.equal(await store.clients.replace({ ...record(), revision: 2 }, 1), false, 'unknown client');
      });

      it('lets exactly one of many concurrent writers of one revision win', async () => {
        const client = record();
        await store.clients.insert(client);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.clients.replace({ ...client, metadata: { client_name: `w${i}` }, revision: 2 }, 1)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });

      it('removes a client once', async () => {
        const client = record();
        await store.clients.insert(client);
        assert.equal(await store.clients.remove(client.clientId), true);
        assert.equal(await store.clients.remove(client.clientId), false);
        assert.equal(await store.clients.find(client.clientId, Date.now()), undefined);
      });

      it('counts and queries by software_id, organisation and redirect host, unexpired only', async () => {
        const tag = randomUUID();
        const now = Date.now();
        const a = record({ createdAt: now - 2, metadata: { software_id: `sw-${tag}`, org_id: `org-${tag}`, redirect_uris: [`https://${tag}.example/cb`, 'https://other.example/cb'] } });
        const b = record({ createdAt: now - 1, metadata: { software_id: `sw-${tag}`, redirect_uris: [`https://x${tag}.example/cb`] } });
        const expired = record({ expiresAt: now - 1, metadata: { software_id: `sw-${tag}`, org_id: `org-${tag}` } });
        for (const r of [a, b, expired]) await store.clients.insert(r);
        assert.equal(await store.clients.count({ softwareId: `sw-${tag}` }, now), 2);
        assert.equal(await store.clients.count({ organisation: `org-${tag}` }, now), 1);
        assert.equal(await store.clients.count({ redirectHost: `${tag}.example` }, now), 1, 'exact host, not a substring');
        assert.equal(await store.clients.count({ softwareId: `sw-${tag}`, redirectHost: `x${tag}.example` }, now), 1);
        assert.equal(await store.clients.count({ softwareId: `sw-${tag}`, name: 'CONTRACT' }, now), 0, 'no client_name on these');
        const named = record({ metadata: { software_id: `sw-${tag}`, client_name: `Acme (${tag}) Portal`, redirect_uris: [] } });
        await store.clients.insert(named);
        assert.equal(await store.clients.count({ name: `acme (${tag}) portal` }, now), 1, 'case-insensitive, special characters literal');
        assert.deepEqual((await store.clients.query({ softwareId: `sw-${tag}` }, now, 10, 2)).map((r) => r.clientId), [named.clientId], 'offset');
        await store.clients.remove(named.clientId);
        assert.deepEqual((await store.clients.query({ softwareId: `sw-${tag}` }, now, 10)).map((r) => r.clientId), [a.clientId, b.clientId]);
        assert.equal((await store.clients.query({ softwareId: `sw-${tag}` }, now, 1)).length, 1);
        await store.clients.replace({ ...b, metadata: { software_id: `moved-${tag}` }, revision: 2 }, 1);
        assert.equal(await store.clients.count({ softwareId: `sw-${tag}` }, now), 1, 'indexes follow updates');
      });
    });

    describe('decisions', () => {
      it('appends decision records in batches, lists them newest first, purges those written before a time', async () => {
        const base = { requestId: 'r', operation: 'create' as const, status: 201, outcome: 'ok', scripts: [], latencyMs: 1 };
        const tag = randomUUID();
        await store.decisions.append([
          { ...base, id: `${tag}-1`, at: 1000, clientId: `c1-${tag}` },
          { ...base, id: `${tag}-2`, at: 2000, clientId: `c2-${tag}` },
        ]);
        assert.deepEqual((await store.decisions.list({ clientId: `c1-${tag}`, limit: 10 })).map((d) => d.id), [`${tag}-1`]);
        assert.ok((await store.decisions.purge(2000)) >= 1, 'written before 2000');
        assert.deepEqual((await store.decisions.list({ clientId: `c1-${tag}`, limit: 10 })).length, 0);
        assert.equal((await store.decisions.list({ clientId: `c2-${tag}`, limit: 10 })).length, 1);
      });
    });

    describe('configuration', () => {
      it('keeps the configuration with optimistic concurrency', async () => {
        const before = (await store.configuration.read())?.revision ?? 0;
        assert.equal(await store.configuration.write({ dynamicRegistrationEnabled: false }, before, 1), true);
        assert.equal(await store.configuration.write({ dynamicRegistrationEnabled: true }, before, 2), false, 'a second writer of one revision loses');
        const stored = await store.configuration.read();
        assert.deepEqual(stored, { properties: { dynamicRegistrationEnabled: false }, revision: before + 1, updatedAt: 1 });
        assert.equal(await store.configuration.write({ a: 1 }, before + 1, 3), true);
        assert.equal(await store.configuration.write({ a: 2 }, before + 1, 4), false);
        assert.equal((await store.configuration.read())?.revision, before + 2);
      });

      it('keeps configuration changes, newest first', async () => {
        const tag = randomUUID();
        const change = (n: number) => ({ id: `${tag}-${n}`, at: 5_000_000_000_000 + n, actor: 'admin', revision: n, changes: [{ property: 'p', old: n - 1, new: n }] });
        await store.configuration.appendChange(change(1));
        await store.configuration.appendChange(change(2));
        assert.deepEqual(await store.configuration.listChanges(2), [change(2), change(1)]);
      });
    });

    describe('administration', () => {
      it('keeps administration clients', async () => {
        const clientId = `admin-${randomUUID()}`;
        const admin = { clientId, secretHash: 'scrypt$...', scopes: ['a', 'b'], createdAt: 1000 };
        assert.equal(await store.administration.findAdminClient(clientId), undefined);
        await store.administration.saveAdminClient(admin);
        assert.deepEqual(await store.administration.findAdminClient(clientId), admin);
        await store.administration.saveAdminClient({ ...admin, scopes: ['a'] });
        assert.deepEqual((await store.administration.findAdminClient(clientId))?.scopes, ['a'], 'replaced');
        assert.equal(await store.administration.hasAdminClients(), true);
      });

      it('keeps initial access tokens by the hash of their value, lists them newest first, deletes them', async () => {
        const tag = randomUUID();
        const token = (n: number) => ({ id: `${tag}-${n}`, tokenHash: `hash-${tag}-${n}`, label: `label ${n}`, claims: { tier: n }, allowedOrigins: [], expiresAt: null, maxRegistrations: n, createdAt: 1000 + n, createdBy: 'admin' });
        await store.administration.saveInitialAccessToken(token(1));
        await store.administration.saveInitialAccessToken(token(2));
        assert.deepEqual(await store.administration.findInitialAccessToken(`hash-${tag}-2`), token(2));
        assert.equal(await store.administration.findInitialAccessToken(`hash-${tag}-3`), undefined);
        await assert.rejects(store.administration.saveInitialAccessToken({ ...token(3), tokenHash: `hash-${tag}-1` }));
        const listed = (await store.administration.listInitialAccessTokens()).filter((entry) => entry.id.startsWith(tag)).map((entry) => entry.id);
        assert.deepEqual(listed, [`${tag}-2`, `${tag}-1`]);
        assert.equal(await store.administration.deleteInitialAccessToken(`${tag}-1`), true);
        assert.equal(await store.administration.deleteInitialAccessToken(`${tag}-1`), false);
        assert.equal(await store.administration.findInitialAccessToken(`hash-${tag}-1`), undefined);
      });
    });

    describe('quotas', () => {
      it('gives out exactly the places of a quota when many claims race, and a released place again', async () => {
        const quota = `quota-${randomUUID()}`;
        const holders = Array.from({ length: 30 }, (_, n) => `holder-${n}`);
        const won = await Promise.all(holders.map((holder) => store.quotas.claim(quota, holder, 7, 1000)));
        assert.equal(won.filter(Boolean).length, 7);
        const winners = holders.filter((_, n) => won[n]);
        assert.deepEqual((await store.quotas.holders(quota)).map((place) => place.holder).sort(), [...winners].sort());
        assert.ok((await store.quotas.holders(quota)).every((place) => place.at === 1000));
        assert.equal(await store.quotas.claim(quota, winners[0]!, 7, 2000), true, 'a holder keeps its place');
        assert.equal(await store.quotas.claim(quota, 'late', 7, 2000), false);
        await store.quotas.release(quota, winners[0]!);
        assert.equal(await store.quotas.claim(quota, 'late', 7, 2000), true);
        assert.equal((await store.quotas.holders(quota)).length, 7);
      });
    });

    describe('fleet', () => {
      it('keeps one report per process, replaced at each report, newest first; removes and purges', async () => {
        const tag = randomUUID();
        const report = (id: string, reportedAt: number, revision = 1) => ({
          id: `${tag}-${id}`,
          host: 'h',
          pid: 1,
          version: '0.1.0',
          role: 'process' as const,
          startedAt: 1,
          reportedAt,
          configurationRevision: revision,
          scripts: [{ name: 'gate', state: 'active', version: 'abcdef012345' }],
          authorizationServer: { type: null, reachable: null, topology: null },
        });
        await store.fleet.report(report('a', 6_000_000_000_000));
        await store.fleet.report(report('b', 6_000_000_000_001));
        await store.fleet.report(report('a', 6_000_000_000_002, 2));
        const mine = (await store.fleet.list()).filter((each) => each.id.startsWith(tag));
        assert.deepEqual(mine.map((each) => [each.id, each.configurationRevision]), [[`${tag}-a`, 2], [`${tag}-b`, 1]]);
        assert.deepEqual(mine[0], report('a', 6_000_000_000_002, 2));
        await store.fleet.remove(`${tag}-a`);
        assert.ok(await store.fleet.purge(6_000_000_000_002) >= 1);
        assert.deepEqual((await store.fleet.list()).filter((each) => each.id.startsWith(tag)), []);
      });
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
}
