// What the second security review found in the administration surface: replay isolated from live
// scripts and from the network, bounded and tidy; plugin files confined; secrets nowhere they
// should not be (decision log, store, replay output, server log, configuration API).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { SCOPES } from '../../core/admin/index.ts';
import { createLogger } from '../../core/log/index.ts';
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

describe('plugin files, confined', () => {
  test('trustAnchorsFile outside the folder, a directory, a FIFO, a symbolic link or a missing file is refused without a look; a file inside is read', async () => {
    const server = await startAdminServer({}, {});
    try {
      const admin = await adminToken(server.url);
      const files = join(server.dataDir, 'plugin-files');
      writeFileSync(join(files, 'anchor.pem'), 'not a certificate at all');
      mkdirSync(join(files, 'folder'));
      execFileSync('mkfifo', [join(files, 'pipe')]);
      symlinkSync('/etc/hostname', join(files, 'link.pem'));
      const probe = `export async function createClient(context) {
        const answer = await host.directory.validateChain(context.client.client_name ?? '').catch((err) => ({ error: err.message }));
        context.client.client_name = JSON.stringify(answer);
        return true;
      }`;
      const reached: Record<string, string> = {};
      for (const file of ['/etc/shadow', '../../etc/hostname', 'folder', 'pipe', 'link.pem', 'missing.pem', 'anchor.pem']) {
        const settings = { plugins: { directory: { trustAnchorsFile: file } } };
        const report = await server.request('POST', '/admin/scripts/probe/replay', { token: admin, json: { source: probe, settings } });
        // Replay needs a recorded registration to run the probe against.
        if (report.status === 200 && report.json.total === 0) {
          await server.register(WEB);
          await server.registrar.flushDecisions();
        }
        const again = await server.request('POST', '/admin/scripts/probe/replay', { token: admin, json: { source: probe, settings } });
        assert.equal(again.status, 200, again.text);
        reached[file] = String(again.json.records[0].after.client?.client_name ?? again.json.records[0].after.error);
      }
      assert.match(reached['/etc/shadow']!, /not inside the plugin files folder/);
      assert.match(reached['../../etc/hostname']!, /not inside the plugin files folder/);
      assert.match(reached.folder!, /not a regular file/);
      assert.match(reached.pipe!, /not a regular file/);
      assert.match(reached['link.pem']!, /symbolic link/);
      assert.match(reached['missing.pem']!, /does not exist/);
      assert.match(reached['anchor.pem']!, /no directory trust anchors/, 'the file inside was read (it holds no certificate)');
      for (const answer of Object.values(reached)) assert.doesNotMatch(answer, /root:|ENOENT|EISDIR|vm\n/);
    } finally {
      await server.close();
    }
  });
});

describe('secrets, nowhere they should not be', () => {
  test('a JWKS with a private key leaves no trace in the decision log, the store, the replay output or the server log', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const server = await startAdminServer({ logger: createLogger('debug', sink) }, { gate: 'export function createClient() { return true; }' });
    try {
      const admin = await adminToken(server.url);
      const refused = await server.register({ ...WEB, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...jwk, kid: 'k1' }] }, extra: { nested: { keys: [{ ...jwk }] } } });
      assertError(refused, 400, 'invalid_client_metadata');
      await server.registrar.flushDecisions();
      const decisions = (await server.request('GET', '/admin/decisions', { token: admin })).text;
      const replayed = (await server.request('POST', '/admin/scripts/gate/replay', { token: admin, json: { source: 'export function createClient() { return true; }' } })).text;
      const stored = readdirSync(server.dataDir).filter((file) => file.startsWith('registrar.db')).map((file) => readFileSync(join(server.dataDir, file)).toString('latin1')).join('');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
        const value = String(jwk[member]);
        for (const [where, text] of [['decision log', decisions], ['replay', replayed], ['store', stored], ['server log', lines.join('')]] as const) {
          assert.ok(!text.includes(value), `the private member ${member} is in the ${where}`);
        }
      }
      assert.match(decisions, /"kty":"RSA"/, 'the public part of the request is kept');
    } finally {
      await server.close();
    }
  });

  test('the configuration API shows secrets masked to every reader and keeps them when written back masked', async () => {
    const server = await startAdminServer({ properties: { dcrSignatureValidationSharedSecret: 'hmac-secret-0123456789', dcrAuthorizationIntrospectionClientSecret: 'introspection-secret' } });
    try {
      const reader = await adminToken(server.url, SCOPES.configRead);
      const shown = (await server.request('GET', '/admin/config', { token: reader })).json;
      assert.equal(shown.dcrSignatureValidationSharedSecret, '***');
      assert.equal(shown.dcrAuthorizationIntrospectionClientSecret, '***');
      assert.equal(shown.returnClientSecretOnRead, false, 'a boolean named after a secret is not one');
      const writer = await adminToken(server.url);
      const patched = await server.request('PATCH', '/admin/config', {
        token: writer,
        headers: { 'content-type': 'application/json-patch+json' },
        json: [{ op: 'replace', path: '/dcrSignatureValidationSharedSecret', value: '***' }, { op: 'replace', path: '/dynamicRegistrationExpirationTime', value: 3600 }],
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(server.registrar.config.current.dcrSignatureValidationSharedSecret, 'hmac-secret-0123456789');
      assert.equal(server.registrar.config.current.dynamicRegistrationExpirationTime, 3600);
    } finally {
      await server.close();
    }
  });

  test('a malformed chunked request is answered 400 and logged bounded, without its headers', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const server = await startAdminServer({ logger: createLogger('debug', sink) });
    try {
      const { connect } = await import('node:net');
      for (const path of ['/token', '/register']) {
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
        const answer = new Promise<string>((resolve) => socket.on('data', (data) => resolve(String(data))));
        socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic U0VDUkVULVRPS0VOLTEyMw==\r\nCookie: session=SECRET-SESSION\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nZZZ\r\n${'x'.repeat(16_000)}\r\n`);
        assert.match(await answer, /^HTTP\/1\.1 4\d\d/);
        socket.destroy();
      }
      const log = lines.join('');
      assert.doesNotMatch(log, /U0VDUkVULVRPS0VOLTEyMw|SECRET-SESSION|rawPacket/);
      assert.ok(lines.every((line) => line.length < 4096), 'a log line is bounded');
    } finally {
      await server.close();
    }
  });
});
