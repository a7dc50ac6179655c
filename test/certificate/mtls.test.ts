// Client certificates over a real TLS socket and from a trusted proxy's header, the RFC 8705
// binding checks, isCertValidForClient, and the open-banking sample against a fake directory.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { certificateAuthority, issue, selfSigned, type Issued } from '../helpers/certificates.ts';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { jwksOf, signWith, testKey, type TestKey } from '../helpers/keys.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError, startServer, tempDir, type TestResponse } from '../helpers/server.ts';

const cb = 'https://tpp.example/cb';
/** RFC 4514 form (most specific first); certificates encode the reverse, as CAs do. */
const LEAF_DN = 'CN=sw-1,OU=org-1,O=TPP Ltd,C=GB';
const asn1Order = (dn: string) => dn.split(',').reverse().join(',');

interface Pki {
  serverCa: Issued;
  server: Issued;
  directoryCa: Issued;
  rogueCa: Issued;
  leaf: Issued;
  expired: Issued;
  wrongCa: Issued;
  mismatched: Issued;
  revoked: Issued;
  self: Issued;
}

async function makePki(): Promise<Pki> {
  const serverCa = await certificateAuthority('CN=Test Server CA');
  const directoryCa = await certificateAuthority('C=GB,O=Test Directory,CN=Test Directory Issuing CA');
  const rogueCa = await certificateAuthority('CN=Rogue CA');
  return {
    serverCa,
    server: await issue(serverCa, { subject: 'CN=localhost', dns: ['localhost'], ips: ['127.0.0.1'], usage: 'server' }),
    directoryCa,
    rogueCa,
    leaf: await issue(directoryCa, { subject: asn1Order(LEAF_DN), dns: ['tpp.example'] }),
    expired: await issue(directoryCa, { subject: asn1Order(LEAF_DN), from: -60, to: -1 }),
    wrongCa: await issue(rogueCa, { subject: asn1Order(LEAF_DN) }),
    mismatched: await issue(directoryCa, { subject: 'C=GB,O=TPP Ltd,OU=org-1,CN=sw-other' }),
    revoked: await issue(directoryCa, { subject: 'C=GB,O=TPP Ltd,OU=org-1,CN=sw-revoked' }),
    self: await selfSigned('CN=self-signed-client'),
  };
}

/** A request over TLS, presenting `client` (or no certificate). */
function tlsRequest(url: string, method: string, options: { json?: unknown; client?: Issued; ca: string; headers?: Record<string, string> }): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const req = httpsRequest(
      url,
      {
        method,
        ca: options.ca,
        ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}),
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), text, json: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const tlsDirs: string[] = [];
after(() => tlsDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tlsEnv(pki: Pki): Record<string, string> {
  const dir = tempDir();
  tlsDirs.push(dir);
  writeFileSync(join(dir, 'server.pem'), `${pki.server.cert}\n${pki.serverCa.cert}`);
  writeFileSync(join(dir, 'server.key'), pki.server.key);
  writeFileSync(join(dir, 'ca.pem'), pki.directoryCa.cert);
  return { DCR_TLS_CERT_FILE: join(dir, 'server.pem'), DCR_TLS_KEY_FILE: join(dir, 'server.key'), DCR_TLS_CA_FILE: join(dir, 'ca.pem') };
}

describe('client certificates', () => {
  let pki: Pki;
  before(async () => {
    pki = await makePki();
  });

  describe('over a real TLS socket', () => {
    let server: ScriptServer;
    let url: string;
    before(async () => {
      server = await startScriptServer(
        {
          witness: `export function isCertValidForClient(certificate, context) {
            if (context.request.client_name === 'refuse-cert') return false;
            return true;
          }
          export function modifyPostResponse(response, context) {
            const c = context.certificate;
            if (c) response.seen = { cn: c.subject.attributes.CN, dn: c.subject.dn, issuer: c.issuer.attributes.CN, dns: c.san.dns, serial: c.serialNumber, fp: c.fingerprintSha256, notAfter: c.notAfter };
            return true;
          }`,
        },
        { env: tlsEnv(pki) },
      );
      url = server.url.replace('http:', 'https:');
    });
    after(() => server.close());

    const register = (json: unknown, client?: Issued) => tlsRequest(`${url}/register`, 'POST', { json, client, ca: pki.serverCa.cert });

    it('hands the parsed certificate to the hooks', async () => {
      const response = await register({ redirect_uris: [cb] }, pki.leaf);
      assert.equal(response.status, 201, response.text);
      const expected = new X509Certificate(pki.leaf.cert);
      assert.deepEqual(response.json.seen.cn, ['sw-1']);
      assert.equal(response.json.seen.dn, LEAF_DN);
      assert.deepEqual(response.json.seen.issuer, ['Test Directory Issuing CA']);
      assert.deepEqual(response.json.seen.dns, ['tpp.example']);
      assert.equal(response.json.seen.serial, expected.serialNumber);
      assert.equal(response.json.seen.fp, expected.fingerprint256.replace(/:/g, '').toLowerCase());
      assert.equal(response.json.seen.notAfter, new Date(expected.validTo).toISOString());
    });

    it('asks for a certificate without rejecting at the TLS layer: no certificate, or one from an unknown CA, reaches policy', async () => {
      const bare = await register({ redirect_uris: [cb] });
      assert.equal(bare.status, 201);
      assert.equal(bare.json.seen, undefined);
      const rogue = await register({ redirect_uris: [cb] }, pki.wrongCa);
      assert.equal(rogue.status, 201, 'the TLS layer let it through; policy decides');
      assertError(await register({ redirect_uris: [cb], client_name: 'refuse-cert' }, pki.leaf), 400, 'invalid_client_metadata', /witness/);
    });

    it('checks tls_client_auth metadata against the presented certificate (subject DN or SAN)', async () => {
      const tls = { redirect_uris: [cb], token_endpoint_auth_method: 'tls_client_auth' };
      assert.equal((await register({ ...tls, tls_client_auth_subject_dn: LEAF_DN }, pki.leaf)).status, 201);
      assert.equal((await register({ ...tls, tls_client_auth_subject_dn: 'c=GB, o=TPP Ltd, ou=org-1, cn=sw-1' }, pki.leaf)).status, 201, 'order and case of attribute types do not matter');
      assertError(await register({ ...tls, tls_client_auth_subject_dn: 'CN=someone-else,O=TPP Ltd' }, pki.leaf), 400, 'invalid_client_metadata', /subject/);
      assert.equal((await register({ ...tls, tls_client_auth_san_dns: 'tpp.example' }, pki.leaf)).status, 201);
      assertError(await register({ ...tls, tls_client_auth_san_dns: 'other.example' }, pki.leaf), 400, 'invalid_client_metadata', /dns SAN/);
    });

    it('checks self_signed_tls_client_auth: the certificate\'s key must be one of the client\'s keys', async () => {
      const jwk = { ...new X509Certificate(pki.self.cert).publicKey.export({ format: 'jwk' }), kid: 'self' };
      const other: TestKey = await testKey('ES256');
      const request = { redirect_uris: [cb], token_endpoint_auth_method: 'self_signed_tls_client_auth' };
      assert.equal((await register({ ...request, jwks: { keys: [jwk] } }, pki.self)).status, 201);
      assertError(await register({ ...request, jwks: jwksOf(other) }, pki.self), 400, 'invalid_client_metadata', /not among the client's keys/);
      assertError(await register({ ...request, jwks: { keys: [jwk] } }, pki.leaf), 400, 'invalid_client_metadata', /self-signed/);
    });

    it('dcrAuthorizationWithClientCredentials: a JWT access token bound to a certificate (cnf x5t#S256) works only with that certificate', async () => {
      const asKey = await testKey('ES256');
      const keyHost = await startHttpHost();
      keyHost.routes.set('/jwks', json(jwksOf(asKey)));
      const before = server.registrar.config.current;
      server.registrar.config.replace({
        ...before,
        dcrAuthorizationWithClientCredentials: true,
        dcrAuthorizationJwksUri: `${keyHost.url}/jwks`,
        dcrAuthorizationIssuer: 'https://as.test',
        dcrAuthorizationRequiredScope: 'registration',
        outboundAllowHttp: true,
        outboundAllowPrivateAddresses: true,
      });
      try {
        const client = (await register({ redirect_uris: [cb] }, pki.leaf)).json;
        const thumbprint = createHash('sha256').update(new X509Certificate(pki.leaf.cert).raw).digest('base64url');
        const exp = Math.floor(Date.now() / 1000) + 300;
        const token = (claims: Record<string, unknown>) => signWith({ iss: 'https://as.test', client_id: client.client_id, scope: 'registration', exp, ...claims }, asKey);
        const manage = async (bearer: string, cert?: Issued) => tlsRequest(`${url}/register/${client.client_id}`, 'GET', { client: cert, ca: pki.serverCa.cert, headers: { authorization: `Bearer ${bearer}` } });
        const bound = await token({ cnf: { 'x5t#S256': thumbprint } });
        assert.equal((await manage(bound, pki.leaf)).status, 200);
        assertError(await manage(bound), 401, 'invalid_token');
        assertError(await manage(bound, pki.mismatched), 401, 'invalid_token');
        assert.equal((await manage(await token({}))).status, 200, 'an unbound token needs no certificate');
        assertError(await manage(await token({ scope: 'openid' })), 401, 'invalid_token');
        assertError(await manage(await token({ iss: 'https://other.test' })), 401, 'invalid_token');
        assertError(await manage(await token({ client_id: 'someone-else' })), 401, 'invalid_token');
      } finally {
        server.registrar.config.replace(before);
        await keyHost.close();
      }
    });

    it('dcrAuthorizationWithMTLS: a client manages itself with its own certificate and no token; another certificate, or the profile off, is refused', async () => {
      const manage = (clientId: string, client?: Issued) => tlsRequest(`${url}/register/${clientId}`, 'GET', { client, ca: pki.serverCa.cert });
      const bound = (await register({ redirect_uris: [cb], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: LEAF_DN }, pki.leaf)).json;
      const jwk = { ...new X509Certificate(pki.self.cert).publicKey.export({ format: 'jwk' }), kid: 'self' };
      const selfBound = (await register({ redirect_uris: [cb], token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [jwk] } }, pki.self)).json;
      const secretClient = (await register({ redirect_uris: [cb] }, pki.leaf)).json;
      assertError(await manage(bound.client_id, pki.leaf), 401, 'invalid_token');
      server.registrar.config.replace({ ...server.registrar.config.current, dcrAuthorizationWithMTLS: true });
      try {
        const read = await manage(bound.client_id, pki.leaf);
        assert.equal(read.status, 200, read.text);
        assert.equal(read.json.registration_access_token, undefined);
        assert.equal((await manage(selfBound.client_id, pki.self)).status, 200);
        assertError(await manage(bound.client_id, pki.mismatched), 401, 'invalid_token');
        assertError(await manage(bound.client_id, pki.wrongCa), 401, 'invalid_token', /does not identify/);
        assertError(await manage(bound.client_id), 401, 'invalid_token');
        assertError(await manage(selfBound.client_id, pki.leaf), 401, 'invalid_token');
        assertError(await manage(secretClient.client_id, pki.leaf), 401, 'invalid_token', /does not identify/);
      } finally {
        server.registrar.config.replace({ ...server.registrar.config.current, dcrAuthorizationWithMTLS: false });
      }
    });
  });

  describe('from a trusted proxy', () => {
    const headerForms = (cert: string) => ({
      'folded PEM in X-ClientCert': { 'x-clientcert': cert.replace(/\n/g, ' ') },
      'URL-encoded PEM in X-ClientCert': { 'x-clientcert': encodeURIComponent(cert) },
      'RFC 9440 Client-Cert': { 'client-cert': `:${new X509Certificate(cert).raw.toString('base64')}:` },
    });

    it('reads the certificate from the header when the request comes from a trusted proxy', async () => {
      const server = await startServer({ properties: { mtlsTrustedProxies: ['127.0.0.0/8'], dynamicRegistrationRequireClientCertificate: true } });
      try {
        for (const [form, headers] of Object.entries(headerForms(pki.leaf.cert))) {
          const response = await server.request('POST', '/register', {
            headers,
            json: { redirect_uris: [cb], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: LEAF_DN },
          });
          assert.equal(response.status, 201, `${form}: ${response.text}`);
        }
        assertError(await server.register({ redirect_uris: [cb] }), 400, 'invalid_request', /certificate is required/);
        assertError(await server.request('POST', '/register', { headers: { 'x-clientcert': 'not a certificate' }, json: { redirect_uris: [cb] } }), 400, 'invalid_request', /x-clientcert/);
      } finally {
        await server.close();
      }
    });

    it('ignores the same header from an untrusted address', async () => {
      const server = await startServer({ properties: { mtlsTrustedProxies: ['10.0.0.0/8', '::1'], dynamicRegistrationRequireClientCertificate: true } });
      try {
        for (const headers of Object.values(headerForms(pki.leaf.cert))) {
          assertError(await server.request('POST', '/register', { headers, json: { redirect_uris: [cb] } }), 400, 'invalid_request', /certificate is required/);
        }
      } finally {
        await server.close();
      }
    });
  });

  describe('the open-banking sample with the directory plugin', () => {
    let server: ScriptServer;
    let directory: HttpHost;
    let directoryKey: TestKey;
    const ssa = (softwareId: string, claims: Record<string, unknown> = {}) =>
      signWith({ iss: 'Test Directory', software_id: softwareId, org_id: 'org-1', software_redirect_uris: [cb], ...claims }, directoryKey);

    before(async () => {
      directory = await startHttpHost();
      directory.routes.set('/organisations/org-1/software/sw-1', json({ status: 'Active' }));
      directory.routes.set('/organisations/org-1/software/sw-other', json({ status: 'Active' }));
      directory.routes.set('/organisations/org-1/software/sw-revoked', json({ status: 'Revoked' }));
      directoryKey = await testKey('PS256', 'directory');
      server = await startScriptServer(
        {},
        {
          env: tlsEnv(pki),
          properties: {
            outboundAllowHttp: true,
            outboundAllowPrivateAddresses: true,
            mtlsTrustedProxies: ['127.0.0.1'],
            dynamicRegistrationRequireClientCertificate: true,
            softwareStatementValidationType: 'builtin',
            dcrSsaValidationConfigs: [{ id: 'dir', type: 'SSA', issuers: ['Test Directory'], jwks: jwksOf(directoryKey) }],
            scopesSupported: ['openid', 'accounts', 'payments', 'fundsconfirmations'],
          },
        },
      );
      cpSync(new URL('../../scripts/open-banking.js', import.meta.url).pathname, join(server.scriptsDir, 'open-banking.js'));
      writeFileSync(join(server.dataDir, 'plugin-files', 'directory-ca.pem'), pki.directoryCa.cert);
      writeFileSync(
        join(server.scriptsDir, 'open-banking.json'),
        JSON.stringify({
          priority: 1,
          plugins: { log: {}, directory: { trustAnchorsFile: 'directory-ca.pem', statusUrl: `${directory.url}/organisations/{org_id}/software/{software_id}`, cacheTtlSeconds: 0 } },
          properties: { scopesForRoles: { AISP: ['accounts'], PISP: ['payments'] } },
        }),
      );
      await server.registrar.scripts.reload('open-banking');
      assert.equal(scriptStatus(server, 'open-banking').state, 'active', JSON.stringify(scriptStatus(server, 'open-banking').lastError));
    });
    after(async () => {
      await server.close();
      await directory.close();
    });

    /** Over TLS: the certificate on the socket, or (`via: 'proxy'`) in the trusted proxy's header. */
    const register = async (cert: Issued | undefined, softwareId: string, extra: Record<string, unknown> = {}, via: 'socket' | 'proxy' = 'proxy') =>
      tlsRequest(`${server.url.replace('http:', 'https:')}/register`, 'POST', {
        ca: pki.serverCa.cert,
        ...(cert && via === 'socket' ? { client: cert } : {}),
        headers: cert && via === 'proxy' ? { 'x-clientcert': cert.cert.replace(/\r?\n/g, ' ') } : {},
        json: {
          redirect_uris: [cb],
          token_endpoint_auth_method: 'tls_client_auth',
          tls_client_auth_subject_dn: cert ? asn1Order(cert.subject) : LEAF_DN,
          software_statement: await ssa(softwareId),
          ...extra,
        },
      });

    it('registers a TPP whose certificate, statement and directory entry agree, on the socket or through the proxy', async () => {
      for (const via of ['socket', 'proxy'] as const) {
        const response = await register(pki.leaf, 'sw-1', {}, via);
        assert.equal(response.status, 201, `${via}: ${response.text}`);
        assert.equal(response.json.software_id, 'sw-1');
        assert.equal(response.json.tls_client_auth_subject_dn, LEAF_DN);
      }
    });

    it('refuses expired, wrong-CA, revoked and mismatched certificates presented on the TLS socket too', async () => {
      assertError(await register(pki.expired, 'sw-1', {}, 'socket'), 400, 'invalid_client_metadata', /not valid now/);
      assertError(await register(pki.wrongCa, 'sw-1', {}, 'socket'), 400, 'invalid_client_metadata', /trusted directory CA/);
      assertError(await register(pki.revoked, 'sw-revoked', {}, 'socket'), 400, 'unapproved_software_statement', /Revoked/);
      assertError(await register(pki.mismatched, 'sw-1', {}, 'socket'), 400, 'invalid_client_metadata', /sw-other/);
    });

    it('refuses each failure with a precise error', async () => {
      assertError(await register(pki.expired, 'sw-1'), 400, 'invalid_client_metadata', /not valid now/);
      assertError(await register(pki.wrongCa, 'sw-1'), 400, 'invalid_client_metadata', /not issued by a trusted directory CA/);
      assertError(await register(pki.revoked, 'sw-revoked'), 400, 'unapproved_software_statement', /Revoked/);
      assertError(await register(pki.mismatched, 'sw-1'), 400, 'invalid_client_metadata', /CN "sw-other" is not the statement's software_id "sw-1"/);
      assertError(await register(pki.leaf, 'sw-1', { redirect_uris: ['https://elsewhere.example/cb'] }), 400, 'invalid_redirect_uri', /software_redirect_uris/);
      assertError(await register(pki.leaf, 'sw-1', { token_endpoint_auth_method: 'client_secret_basic' }), 400, 'invalid_client_metadata', /tls_client_auth/);
      assertError(await register(pki.leaf, 'sw-1', { software_statement: undefined }), 400, 'invalid_software_statement', /required/);
      assertError(await register(undefined, 'sw-1'), 400, 'invalid_request', /certificate is required/);
    });

    it('the directory down: its last answer stands for software it has answered about; other software fails closed', async () => {
      assert.equal((await register(pki.leaf, 'sw-1')).status, 201);
      directory.routes.set('/organisations/org-1/software/sw-1', (_request, response) => response.writeHead(503).end());
      directory.routes.set('/organisations/org-1/software/sw-other', (_request, response) => response.writeHead(503).end());
      try {
        assert.equal((await register(pki.leaf, 'sw-1')).status, 201, 'the last answer (Active) stands');
        const unknown = await register(pki.mismatched, 'sw-other');
        assert.ok(unknown.status >= 500, unknown.text);
      } finally {
        directory.routes.set('/organisations/org-1/software/sw-1', json({ status: 'Active' }));
        directory.routes.set('/organisations/org-1/software/sw-other', json({ status: 'Active' }));
      }
    });

    it('gives the scopes the statement\'s roles allow, and refuses a statement whose org_status or software_status is not Active', async () => {
      const aisp = await register(pki.leaf, 'sw-1', { scope: 'openid accounts payments', software_statement: await ssa('sw-1', { software_roles: ['AISP'], org_status: 'Active', software_status: 'Active' }) });
      assert.equal(aisp.status, 201, aisp.text);
      assert.equal(aisp.json.scope, 'openid accounts');
      const both = await register(pki.leaf, 'sw-1', { scope: 'openid accounts payments', software_statement: await ssa('sw-1', { software_roles: ['AISP', 'PISP'] }) });
      assert.equal(both.json.scope, 'openid accounts payments');
      assertError(await register(pki.leaf, 'sw-1', { software_statement: await ssa('sw-1', { org_status: 'Revoked' }) }), 400, 'unapproved_software_statement', /org_status is Revoked/);
      assertError(await register(pki.leaf, 'sw-1', { software_statement: await ssa('sw-1', { software_status: 'Inactive' }) }), 400, 'unapproved_software_statement', /software_status is Inactive/);
    });
  });
});
