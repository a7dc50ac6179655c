// The address check of the URIs servers dereference, against a real DNS server on loopback that
// the test makes answer, answer slowly, stay silent or change its answer: a registration never
// waits on a client's DNS beyond dnsTimeoutMs, silence never passes for public, answers are cached
// within their TTL, and the background re-check finds a name that now points inside.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { assertError } from '../helpers/server.ts';
import { signWith, testKey } from '../helpers/keys.ts';

const WEB = { redirect_uris: ['https://client.example.org/cb'] };

describe("the address check, on Registrar's own resolver", () => {
  let dns: DnsServer;
  let server: ScriptServer;
  before(async () => {
    dns = await startDnsServer();
    dns.names.set('internal.test', { addresses: ['10.9.9.9'] });
    dns.names.set('dual.test', { addresses: ['93.184.216.34', 'fd00::1'] });
    dns.names.set('public.test', { addresses: ['93.184.216.34', '2606:2800:220:1::1'], ttl: 300 });
    dns.names.set('late-private.test', { addresses: ['10.9.9.9'], delayMs: 3000 });
    dns.names.set('silent.test', { silent: true });
    for (let i = 0; i < 12; i++) dns.names.set(`silent-${i}.test`, { silent: true });
    server = await startAdminServer({ properties: { dnsServers: [dns.address], dnsTimeoutMs: 250 } });
  });
  after(async () => {
    await server?.close();
    await dns?.close();
  });

  it('refuses a host that resolves to a private address, in either family, and says which member, not what it resolved to', async () => {
    for (const [jwks, member] of [['https://internal.test/jwks', 'jwks_uri'], ['https://dual.test/jwks', 'jwks_uri']] as const) {
      const refused = await server.register({ ...WEB, jwks_uri: jwks });
      assertError(refused, 400, 'invalid_client_metadata', new RegExp(`${member} must point at a public address`));
      assert.doesNotMatch(refused.text, /10\.9\.9\.9|fd00/);
    }
  });

  it('accepts a public host and a name that does not exist; answers are cached within their TTL', async () => {
    assert.equal((await server.register({ ...WEB, jwks_uri: 'https://public.test/jwks' })).status, 201);
    const asked = dns.queries.get('public.test');
    assert.equal((await server.register({ ...WEB, jwks_uri: 'https://public.test/other' })).status, 201);
    assert.equal(dns.queries.get('public.test'), asked, 'answered from the cache');
    assert.equal((await server.register({ ...WEB, jwks_uri: 'https://nowhere.test/jwks' })).status, 201);
  });

  it('a slow answer is not waited for and never passes: refused before the private answer would have come', async () => {
    const started = performance.now();
    const refused = await server.register({ ...WEB, jwks_uri: 'https://late-private.test/jwks' });
    assertError(refused, 400, 'invalid_client_metadata', /did not resolve within 250 ms/);
    assert.ok(performance.now() - started < 3000, 'the registration waited for the slow answer');
    const silent = await server.register({ ...WEB, request_uris: ['https://silent.test/r'] });
    assertError(silent, 400, 'invalid_client_metadata', /request_uris did not resolve/);
  });

  it('hostile registrations with silent hosts cannot keep private hosts from being refused, nor take resolution from others', async () => {
    const silentHosts = Array.from({ length: 12 }, (_, i) => `https://silent-${i}.test/r`);
    const hostile = Array.from({ length: 6 }, () => server.register({ ...WEB, request_uris: silentHosts }));
    const [internal, publicOne] = await Promise.all([server.register({ ...WEB, jwks_uri: 'https://internal.test/jwks' }), server.register({ ...WEB, jwks_uri: 'https://public.test/jwks' })]);
    assertError(internal, 400, 'invalid_client_metadata', /public address/);
    assert.equal(publicOne.status, 201, publicOne.text);
    for (const refused of await Promise.all(hostile)) assertError(refused, 400, 'invalid_client_metadata', /did not resolve/);
    // Too many hosts in one registration are refused without a query.
    const many = Array.from({ length: 40 }, (_, i) => `https://many-${i}.test/r`);
    assertError(await server.register({ ...WEB, request_uris: many }), 400, 'invalid_client_metadata', /40 hosts; at most 16/);
    assert.equal(dns.queries.get('many-0.test'), undefined);
  });

  it('refuses addresses in every disguise: IPv4-translated, site-local, localhost with its trailing dot', async () => {
    for (const jwks of ['https://[::ffff:0:a00:1]/jwks', 'https://[fec0::1]/jwks', 'https://localhost./jwks', 'https://api.localhost/jwks']) {
      assertError(await server.register({ ...WEB, jwks_uri: jwks }), 400, 'invalid_client_metadata', /public address/);
    }
  });

  it("a statement's key set on a private or missing host: the client is told the kind of failure, never what the resolver said", async () => {
    const key = await testKey('ES256');
    server.registrar.config.replace({ ...server.registrar.config.current, softwareStatementValidationType: 'jwks_uri' });
    try {
      for (const [host, kind] of [['internal.test', /an address this server may not fetch/], ['nowhere.test', /could not be reached/]] as const) {
        const statement = await signWith({ iss: 'https://issuer.example', jwks_uri: `https://${host}/jwks`, software_id: 's' }, key);
        const refused = await server.register({ ...WEB, software_statement: statement });
        assert.equal(refused.status, 400, refused.text);
        assert.match(refused.json.error_description, kind);
        assert.doesNotMatch(refused.text, /10\.9\.9\.9|ENOTFOUND|getaddrinfo|ECONN|resolves to/);
      }
    } finally {
      server.registrar.config.replace({ ...server.registrar.config.current, softwareStatementValidationType: 'script' });
    }
  });

  it('the background re-check records, reports and (when told) disables a client whose host now resolves inside', async () => {
    dns.names.set('rebind.test', { addresses: ['93.184.216.34'], ttl: 1 });
    const registered = await server.register({ ...WEB, jwks_uri: 'https://rebind.test/jwks' });
    assert.equal(registered.status, 201, registered.text);
    const admin = await adminToken(server.url);
    const recheck = () => server.registrar.recheckAddresses();
    assert.equal((await recheck()).flagged, 0);

    dns.names.set('rebind.test', { addresses: ['10.9.9.9'], ttl: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the public answer's TTL runs out
    const found = await recheck();
    assert.equal(found.newlyFlagged, 1);
    const shown = (await server.request('GET', `/admin/clients/${registered.json.client_id}`, { token: admin })).json;
    assert.deepEqual({ member: shown.addressFinding.member, host: shown.addressFinding.host }, { member: 'jwks_uri', host: 'rebind.test' });
    assert.equal(shown.disabled, false);
    assert.match((await server.request('GET', '/metrics')).text, /registrar_clients_private_address [1-9]/);

    server.registrar.config.replace({ ...server.registrar.config.current, addressRecheckDisablesClients: true });
    try {
      assert.equal((await recheck()).disabled, 1);
      assert.equal((await server.request('GET', `/admin/clients/${registered.json.client_id}`, { token: admin })).json.disabled, true);
      assertError(await server.request('GET', `/register/${registered.json.client_id}`, { token: registered.json.registration_access_token }), 401, 'invalid_token');
    } finally {
      server.registrar.config.replace({ ...server.registrar.config.current, addressRecheckDisablesClients: false });
    }
    // The name points outside again: the finding goes; the client stays disabled until an administrator enables it.
    dns.names.set('rebind.test', { addresses: ['93.184.216.34'], ttl: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await recheck()).cleared, 1);
    const after = (await server.request('GET', `/admin/clients/${registered.json.client_id}`, { token: admin })).json;
    assert.equal(after.addressFinding, null);
    assert.equal(after.disabled, true);
  });
});
