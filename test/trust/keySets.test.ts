import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseJwks, RemoteKeySets } from '../../core/trust/index.ts';
import { startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { jwksOf, testKey } from '../helpers/keys.ts';

const OPEN = { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 1000, maxResponseBytes: 65536, dns: { servers: [], timeoutMs: 250 } };

describe('remote key sets', () => {
  let host: HttpHost;
  let body: unknown;
  let cacheControl = 'max-age=60';
  before(async () => {
    host = await startHttpHost();
    body = jwksOf(await testKey('ES256', 'k1'));
    host.routes.set('/jwks', (_q, r) => {
      setTimeout(() => r.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheControl }).end(JSON.stringify(body)), 20);
    });
    host.routes.set('/broken', (_q, r) => r.writeHead(500).end());
  });
  after(() => host.close());

  it('stays bounded: least recently used out past the entries and bytes, refused URLs never kept, long URLs refused', async () => {
    host.routes.set('/many', (_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
    const sets = new RemoteKeySets(() => ({ outbound: OPEN, maxAgeMs: 60_000, cooldownMs: 0, maxEntries: 50, maxBytes: 1_000_000 }));
    for (let i = 0; i < 300; i += 1) await sets.get(`${host.url}/many?i=${i}`);
    assert.equal(sets.size.entries, 50);
    const first = sets.fetches.get(`${host.url}/many?i=0`);
    assert.equal(first, undefined, 'the oldest went, its counter with it');
    await sets.get(`${host.url}/many?i=299`);
    assert.equal(sets.fetches.get(`${host.url}/many?i=299`), 1, 'the newest is still cached');
    const bytes = new RemoteKeySets(() => ({ outbound: OPEN, maxAgeMs: 60_000, cooldownMs: 0, maxEntries: 1000, maxBytes: 2000 }));
    for (let i = 0; i < 50; i += 1) await bytes.get(`${host.url}/many?b=${i}`);
    assert.ok(bytes.size.bytes <= 2000 && bytes.size.entries < 50, JSON.stringify(bytes.size));
    const strict = new RemoteKeySets(() => ({ outbound: { ...OPEN, allowPrivateAddresses: false }, maxAgeMs: 60_000, cooldownMs: 60_000 }));
    for (let i = 0; i < 20; i += 1) await assert.rejects(strict.get(`${host.url}/refused/${i}`), /an address this server may not fetch/);
    assert.equal(strict.size.entries, 0, 'a URL the rules refuse is not kept');
    await assert.rejects(sets.get(`https://keys.example/${'x'.repeat(40 * 1024)}`), /limited to 2048 characters/);
  });

  it('parses key sets given as objects or JSON strings', () => {
    assert.ok(parseJwks({ keys: [] }));
    assert.ok(parseJwks('{"keys":[]}'));
    assert.equal(parseJwks('{"nokeys":1}'), undefined);
    assert.equal(parseJwks('not json'), undefined);
  });

  it('honours Cache-Control max-age, makes one request per URL at a time, and refetches after expiry', async () => {
    let now = 1_000_000;
    const sets = new RemoteKeySets(() => ({ outbound: OPEN, maxAgeMs: 5000, cooldownMs: 1000 }), () => now);
    const url = `${host.url}/jwks`;
    const before = host.hits.get('/jwks') ?? 0;
    const results = await Promise.all(Array.from({ length: 5 }, () => sets.get(url)));
    assert.ok(results.every((r) => r === results[0]));
    assert.equal((host.hits.get('/jwks') ?? 0) - before, 1, 'single in-flight request');
    now += 59_000;
    await sets.get(url);
    assert.equal((host.hits.get('/jwks') ?? 0) - before, 1, 'fresh for max-age=60');
    now += 2000;
    await sets.get(url);
    assert.equal((host.hits.get('/jwks') ?? 0) - before, 2, 'expired: refetched');
    cacheControl = 'no-store';
    now += 61_000;
    await sets.get(url);
    now += 500;
    await sets.get(url);
    assert.equal((host.hits.get('/jwks') ?? 0) - before, 3, 'no-store, but never more often than the cool-down');
    cacheControl = 'max-age=60';
  });

  it('keeps a failure for the cool-down instead of retrying at once', async () => {
    let now = 5_000_000;
    const sets = new RemoteKeySets(() => ({ outbound: OPEN, maxAgeMs: 5000, cooldownMs: 10_000 }), () => now);
    const url = `${host.url}/broken`;
    await assert.rejects(sets.get(url), /HTTP 500/);
    await assert.rejects(sets.get(url), /cool-down/);
    assert.equal(host.hits.get('/broken'), 1);
    now += 10_000;
    await assert.rejects(sets.get(url), /HTTP 500/);
    assert.equal(host.hits.get('/broken'), 2);
  });

  it('refuses loopback hosts and http unless allowed', async () => {
    const strict = new RemoteKeySets(() => ({ outbound: { ...OPEN, allowPrivateAddresses: false }, maxAgeMs: 0, cooldownMs: 0 }));
    await assert.rejects(strict.get(`${host.url}/jwks`), /an address this server may not fetch/);
    const httpsOnly = new RemoteKeySets(() => ({ outbound: { ...OPEN, allowHttp: false }, maxAgeMs: 0, cooldownMs: 0 }));
    await assert.rejects(httpsOnly.get(`${host.url}/jwks`), /https/);
  });
});
