// Replay isolated from live scripts and from the network, bounded and tidy.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { startDnsServer } from '../helpers/dns.ts';
import { json, startHttpHost } from '../helpers/httpHost.ts';
import { assertError } from '../helpers/server.ts';

const WEB = { redirect_uris: ['https://client.example.org/cb'] };

describe('replay, isolated', () => {
  test('a candidate named like a live script neither reads nor clears its cache, and changes no counter of it', async () => {
    const LIVE = `export async function createClient(context) {
      if (await host.cache.get(context.client.software_id ?? '-')) throw new RegistrationError('invalid_client_metadata', 'denied');
      if (context.client.software_id === 'deny-me') await host.cache.set('deny-me', true, 3600);
      return true;
    }`;
    const server = await startAdminServer({}, { deny: [LIVE, { plugins: { cache: {} } }] });
    try {
      const admin = await adminToken(server.url);
      assert.equal((await server.register({ ...WEB, software_id: 'deny-me' })).status, 201);
      assertError(await server.register({ ...WEB, software_id: 'deny-me' }), 400, 'invalid_client_metadata', /denied/);
      await server.registrar.flushDecisions();
      const before = server.registrar.scripts.status().find((entry) => entry.name === 'deny')?.plugins;
      const probe = `export async function createClient(context) {
        const seen = await host.cache.get('deny-me');
        await host.cache.delete('deny-me');
        context.client.client_name = seen === undefined ? 'nothing seen' : 'saw the live cache';
        return true;
      }`;
      const report = await server.request('POST', '/admin/scripts/deny/replay', { token: admin, json: { source: probe, settings: { plugins: { cache: {} } } } });
      assert.equal(report.status, 200, report.text);
      for (const record of report.json.records.filter((r: any) => r.after.outcome === 'accepted')) assert.equal(record.after.client.client_name, 'nothing seen');
      // The live deny list still holds, and the live script's plugin counters did not move.
      assertError(await server.register({ ...WEB, software_id: 'deny-me' }), 400, 'invalid_client_metadata', /denied/);
      assert.deepEqual((server.registrar.scripts.status().find((entry) => entry.name === 'deny')?.plugins as any)?.['cache.get']?.calls, (before as any)?.['cache.get']?.calls + 1);
    } finally {
      await server.close();
    }
  });

  test('makes no network call: recorded sector_identifier_uri and jwks_uri hosts are neither fetched nor resolved', async () => {
    const dns = await startDnsServer();
    const sector = await startHttpHost();
    try {
      dns.names.set('sector.test', { addresses: ['93.184.216.34'] });
      const server = await startAdminServer({ properties: { dnsServers: [dns.address] } }, { gate: 'export function createClient() { return true; }' });
      try {
        const admin = await adminToken(server.url);
        // Recorded requests naming hosts (refused at registration or not, they are kept for replay).
        await server.register({ redirect_uris: ['https://client.example.org/cb', 'https://other.example.org/cb'], subject_type: 'pairwise', sector_identifier_uri: 'https://sector.test/s.json', jwks_uri: 'https://sector.test/jwks' });
        await server.register({ ...WEB, sector_identifier_uri: `${sector.url}/s.json` });
        await server.registrar.flushDecisions();
        const asked = dns.queries.get('sector.test') ?? 0;
        sector.routes.set('/s.json', json(['https://client.example.org/cb']));
        const report = await server.request('POST', '/admin/scripts/gate/replay', { token: admin, json: { source: 'export function createClient() { return true; }' } });
        assert.equal(report.status, 200, report.text);
        assert.equal(report.json.truncated, false);
        assert.equal(dns.queries.get('sector.test') ?? 0, asked, 'replay resolved a recorded host');
        assert.equal(sector.hits.get('/s.json') ?? 0, 0, 'replay fetched a recorded URL');
      } finally {
        await server.close();
      }
    } finally {
      await sector.close();
      await dns.close();
    }
  });

  test('a name too long for a file answers 400 and leaves no scratch folder behind', async () => {
    const server = await startAdminServer({}, { gate: 'export function createClient() { return true; }' });
    try {
      const admin = await adminToken(server.url);
      const scratch = () => readdirSync(tmpdir()).filter((entry) => entry.startsWith('registrar-replay-')).length;
      const before = scratch();
      const long = 'a'.repeat(300);
      assertError(await server.request('POST', `/admin/scripts/${long}/replay`, { token: admin, json: { source: 'export function createClient() { return true; }' } }), 400, 'invalid_request', /script name/);
      assertError(await server.request('POST', '/admin/scripts/gate/replay', { token: admin, json: { source: 'export function createClient( {' } }), 400, 'invalid_request', /cannot be loaded/);
      assert.equal(scratch(), before);
    } finally {
      await server.close();
    }
  });
});
