import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPrivateAddress } from '../../core/net/index.ts';
import { get, getJson, OutboundError, type OutboundPolicy } from '../../core/outbound/index.ts';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';

const OPEN: OutboundPolicy = { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 1000, maxResponseBytes: 1024, dns: { servers: [], timeoutMs: 250 } };

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OutboundError, `expected OutboundError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

describe('outbound HTTP', () => {
  let host: HttpHost;
  before(async () => {
    host = await startHttpHost();
    host.routes.set('/doc', json(['https://a.example/cb']));
    host.routes.set('/redirect', (_q, r) => r.writeHead(302, { location: '/doc' }).end());
    host.routes.set('/big', json('x'.repeat(5000)));
    host.routes.set('/chunked', (_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 10; i += 1) r.write('"' + 'x'.repeat(200) + '"');
      r.end();
    });
    host.routes.set('/slow', () => {});
    host.routes.set('/error', (_q, r) => r.writeHead(500).end('{}'));
    host.routes.set('/notjson', (_q, r) => r.writeHead(200).end('<html>'));
  });
  after(() => host.close());

  it('fetches JSON when the policy allows the address and scheme', async () => {
    assert.deepEqual(await getJson(`${host.url}/doc`, OPEN), ['https://a.example/cb']);
  });

  it('refuses http unless allowed', async () => {
    assert.equal((await failure(getJson(`${host.url}/doc`, { ...OPEN, allowHttp: false }))).reason, 'scheme_not_allowed');
    assert.equal((await failure(getJson('ftp://example.org/x', OPEN))).reason, 'scheme_not_allowed');
  });

  it('refuses loopback, private and link-local addresses unless allowed, also after DNS resolution', async () => {
    const closed = { ...OPEN, allowPrivateAddresses: false };
    assert.equal((await failure(getJson(`${host.url}/doc`, closed))).reason, 'address_not_allowed');
    const port = new URL(host.url).port;
    assert.equal((await failure(getJson(`http://localhost:${port}/doc`, closed))).reason, 'address_not_allowed');
    assert.equal((await failure(getJson(`http://[::1]:${port}/doc`, closed))).reason, 'address_not_allowed');
    assert.equal((await failure(getJson('http://169.254.169.254/latest/meta-data', closed))).reason, 'address_not_allowed');
    for (const address of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1']) {
      assert.ok(isPrivateAddress(address), address);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) assert.ok(!isPrivateAddress(address), address);
    // IPv6 forms that carry an IPv4 address are judged by it: NAT64, IPv4-compatible, IPv4-mapped in hex, 6to4; Teredo is refused.
    for (const address of ['64:ff9b::a00:1', '64:ff9b::10.0.0.1', '64:ff9b::7f00:1', '::a00:1', '::10.0.0.1', '::ffff:a00:1', '2002:a00:1::1', '2002:7f00:1::', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '64:ff9b:1::a00:1']) {
      assert.ok(isPrivateAddress(address), address);
    }
    for (const address of ['64:ff9b::808:808', '2002:808:808::1', '::ffff:8.8.8.8']) assert.ok(!isPrivateAddress(address), address);
    const closedAfterDns = { ...OPEN, allowPrivateAddresses: false };
    assert.equal((await failure(getJson(`http://[64:ff9b::a9fe:a9fe]:${port}/doc`, closedAfterDns))).reason, 'address_not_allowed');
  });

  it('does not follow redirects', async () => {
    assert.equal((await failure(getJson(`${host.url}/redirect`, OPEN))).reason, 'redirect');
  });

  it('caps the response size, declared or streamed', async () => {
    assert.equal((await failure(getJson(`${host.url}/big`, OPEN))).reason, 'too_large');
    assert.equal((await failure(getJson(`${host.url}/chunked`, OPEN))).reason, 'too_large');
  });

  it('times out', async () => {
    const started = Date.now();
    assert.equal((await failure(getJson(`${host.url}/slow`, { ...OPEN, timeoutMs: 200 }))).reason, 'timeout');
    assert.ok(Date.now() - started < 2000);
  });

  it('reports error statuses and non-JSON bodies', async () => {
    assert.equal((await failure(getJson(`${host.url}/error`, OPEN))).reason, 'http_status');
    assert.equal((await failure(getJson(`${host.url}/notjson`, OPEN))).reason, 'invalid_json');
    assert.equal((await get(`${host.url}/error`, OPEN)).status, 500);
  });

  it('reports connection failures', async () => {
    const port = new URL(host.url).port;
    await host.close();
    assert.equal((await failure(getJson(`http://127.0.0.1:${port}/doc`, OPEN))).reason, 'network');
    host = await startHttpHost();
  });
});
