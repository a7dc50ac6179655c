// Secrets nowhere they should not be: the decision log, the store, replay output, the server log and the
// configuration API.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { SCOPES } from '../../core/admin/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { assertError } from '../helpers/server.ts';

const WEB = { redirect_uris: ['https://client.example.org/cb'] };

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
