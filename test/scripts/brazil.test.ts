// The Brazil Open Finance trust pack (scripts/brazil-open-finance.js with the directory plugin's
// participants list) against a local directory serving the list in its published shape, and the
// conformance cases of the OpenID Foundation's Brazil DCR test plan.
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { certificateAuthority, issue, type Issued } from '../helpers/certificates.ts';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { jwksOf, signWith, tamper, testKey, type TestKey } from '../helpers/keys.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError } from '../helpers/server.ts';

const participants = (dadosStatus = 'Active') => [
  {
    OrganisationId: 'org-active',
    Status: 'Active',
    OrgDomainRoleClaims: [
      { Role: 'DADOS', Status: dadosStatus, AuthorisationDomain: 'Open Banking' },
      { Role: 'CONTA', Status: 'Active', AuthorisationDomain: 'Open Banking' },
    ],
    AuthorisationServers: [{ AuthorisationServerId: 'as-1', OpenIDDiscoveryDocument: 'https://bank.example/.well-known/openid-configuration' }],
  },
  { OrganisationId: 'org-inactive', Status: 'Inactive', OrgDomainRoleClaims: [{ Role: 'DADOS', Status: 'Active' }], AuthorisationServers: [] },
];

describe('Brazil Open Finance trust pack: the directory', () => {
  let directory: HttpHost;
  let server: ScriptServer;
  let key: TestKey;
  let now = Date.now();
  // Statements are issued at the server's (moving) clock.
  const register = async (orgId: string, scope: string) =>
    server.register({
      redirect_uris: ['https://tpp.example.com.br/cb'],
      scope,
      software_statement: await signWith({ iss: 'Open Finance Brasil', org_id: orgId, software_id: `sw-${orgId}`, software_redirect_uris: ['https://tpp.example.com.br/cb'] }, key, { iat: Math.floor(now / 1000) }),
    });

  before(async () => {
    key = await testKey('PS256');
    directory = await startHttpHost();
    directory.routes.set('/participants', json(participants()));
    server = await startScriptServer(
      {},
      {
        clock: () => now,
        properties: {
          outboundAllowHttp: true,
          outboundAllowPrivateAddresses: true,
          scopesSupported: ['openid', 'accounts', 'payments'],
          softwareStatementValidationType: 'builtin',
          dcrSsaValidationConfigs: [{ id: 'obb', type: 'SSA', issuers: ['Open Finance Brasil'], jwks: jwksOf(key) }],
        },
      },
    );
    cpSync(new URL('../../scripts/brazil-open-finance.js', import.meta.url).pathname, join(server.scriptsDir, 'brazil-open-finance.js'));
    const shipped = JSON.parse(JSON.stringify(await import('../../scripts/brazil-open-finance.json', { with: { type: 'json' } }))).default;
    writeFileSync(
      join(server.scriptsDir, 'brazil-open-finance.json'),
      JSON.stringify({ ...shipped, enabled: true, plugins: { directory: { participantsUrl: `${directory.url}/participants`, participantsRefreshSeconds: 300 } } }),
    );
    await server.registrar.scripts.reload('brazil-open-finance');
    assert.equal(scriptStatus(server, 'brazil-open-finance').state, 'active', JSON.stringify(scriptStatus(server, 'brazil-open-finance').lastError));
  });
  after(async () => {
    await server?.close();
    await directory?.close();
  });

  test('an Active organisation holding the role of each scope registers', async () => {
    const registered = await register('org-active', 'openid accounts');
    assert.equal(registered.status, 201, registered.text);
  });

  test('refused: an organisation not Active, one not listed, a scope whose role it lacks', async () => {
    assertError(await register('org-inactive', 'openid accounts'), 400, 'unapproved_software_statement', /Inactive, not Active/);
    assertError(await register('org-unknown', 'openid'), 400, 'unapproved_software_statement', /not in the participants list/);
    assertError(await register('org-active', 'openid payments'), 400, 'invalid_client_metadata', /PAGTO role/);
  });

  test('the list is fetched again after its interval; while the directory is down the last good copy decides', async () => {
    const fetched = directory.hits.get('/participants') ?? 0;
    assert.equal((await register('org-active', 'openid accounts')).status, 201);
    assert.equal(directory.hits.get('/participants'), fetched, 'within the interval the cached copy is used');
    directory.routes.set('/participants', json(participants('Revoked')));
    now += 301 * 1000;
    assertError(await register('org-active', 'openid accounts'), 400, 'invalid_client_metadata', /DADOS role/);
    directory.routes.set('/participants', (_request, response) => response.writeHead(503).end());
    now += 301 * 1000;
    assertError(await register('org-active', 'openid accounts'), 400, 'invalid_client_metadata', /DADOS role/); // the last good copy (Revoked) still decides
  });

  test('directory down with no copy fetched: the registration fails closed', async () => {
    const fresh = await startScriptServer({}, { properties: { outboundAllowHttp: true, outboundAllowPrivateAddresses: true, softwareStatementValidationType: 'builtin', dcrSsaValidationConfigs: [{ id: 'obb', type: 'SSA', issuers: ['Open Finance Brasil'], jwks: jwksOf(key) }] } });
    try {
      cpSync(new URL('../../scripts/brazil-open-finance.js', import.meta.url).pathname, join(fresh.scriptsDir, 'brazil-open-finance.js'));
      writeFileSync(join(fresh.scriptsDir, 'brazil-open-finance.json'), JSON.stringify({ enabled: true, plugins: { directory: { participantsUrl: `${directory.url}/down` } }, properties: { rolesForScopes: {} } }));
      await fresh.registrar.scripts.reload('brazil-open-finance');
      const answer = await fresh.register({ redirect_uris: ['https://tpp.example.com.br/cb'], software_statement: await signWith({ iss: 'Open Finance Brasil', org_id: 'org-active', software_redirect_uris: ['https://tpp.example.com.br/cb'] }, key) });
      assert.notEqual(answer.status, 201, answer.text);
      assert.ok(answer.status >= 500, answer.text);
    } finally {
      await fresh.close();
    }
  });
});

// What the OpenID Foundation's Brazil DCR test plan checks of a server, module by module, each a
// case of its own: the pack enabled as a deployment would, certificates from a trusted proxy.
describe('Brazil Open Finance trust pack: the DCR conformance cases', () => {
  let directory: HttpHost;
  let server: ScriptServer;
  let key: TestKey;
  let tpp: Issued;
  let otherOrg: Issued;
  const jwksUri = 'https://keystore.example.com.br/org-active/sw-1.jwks';
  const redirect = 'https://tpp.example.com.br/cb';

  const statement = (claims: Record<string, unknown> = {}, signer: TestKey = key) =>
    signWith({ iss: 'Open Finance Brasil', org_id: 'org-active', software_id: 'sw-1', software_jwks_uri: jwksUri, software_redirect_uris: [redirect], ...claims }, signer);
  const send = async (method: string, path: string, options: { json?: Record<string, unknown>; cert?: Issued | null; token?: string } = {}) =>
    server.request(method, path, {
      ...(options.json ? { json: options.json } : {}),
      ...(options.token ? { token: options.token } : {}),
      headers: options.cert === null ? {} : { 'x-clientcert': (options.cert ?? tpp).cert.replace(/\r?\n/g, ' ') },
    });
  const metadata = async (extra: Record<string, unknown> = {}) => ({
    redirect_uris: [redirect],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks_uri: jwksUri,
    scope: 'openid accounts',
    software_statement: await statement(),
    ...extra,
  });

  before(async () => {
    key = await testKey('PS256');
    const ca = await certificateAuthority('CN=ICP-Brasil Test CA');
    tpp = await issue(ca, { subject: 'C=BR,O=TPP Ltda,OU=org-active,CN=sw-1' });
    otherOrg = await issue(ca, { subject: 'C=BR,O=Other Ltda,OU=org-other,CN=sw-9' });
    directory = await startHttpHost();
    directory.routes.set('/participants', json(participants()));
    server = await startScriptServer({}, {
      properties: {
        outboundAllowHttp: true,
        outboundAllowPrivateAddresses: true,
        trustedProxies: ['127.0.0.1'],
        dynamicRegistrationRequireClientCertificate: true,
        dcrSoftwareStatementRequired: true,
        rotateClientRegistrationAccessTokenOnUsage: false,
        scopesSupported: ['openid', 'accounts', 'payments'],
        softwareStatementValidationType: 'builtin',
        dcrSsaValidationConfigs: [{ id: 'obb', type: 'SSA', issuers: ['Open Finance Brasil'], jwks: jwksOf(key) }],
      },
    });
    cpSync(new URL('../../scripts/brazil-open-finance.js', import.meta.url).pathname, join(server.scriptsDir, 'brazil-open-finance.js'));
    writeFileSync(
      join(server.scriptsDir, 'brazil-open-finance.json'),
      JSON.stringify({ enabled: true, plugins: { directory: { participantsUrl: `${directory.url}/participants` } }, properties: { rolesForScopes: { accounts: 'DADOS', payments: 'PAGTO' } } }),
    );
    await server.registrar.scripts.reload('brazil-open-finance');
    assert.equal(scriptStatus(server, 'brazil-open-finance').state, 'active', JSON.stringify(scriptStatus(server, 'brazil-open-finance').lastError));
  });
  after(async () => {
    await server?.close();
    await directory?.close();
  });

  test('happy path: register, read, update, delete; the token does not rotate; read after delete fails', async () => {
    const created = await send('POST', '/register', { json: await metadata() });
    assert.equal(created.status, 201, created.text);
    const { client_id: clientId, registration_access_token: token } = created.json;
    const read = await send('GET', `/register/${clientId}`, { token });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.registration_access_token, token);
    const updated = await send('PUT', `/register/${clientId}`, { token, json: { ...(await metadata()), client_id: clientId, client_name: 'renamed' } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json.registration_access_token, token);
    assert.equal((await send('GET', `/register/${clientId}`, { token })).status, 200, 'the token stays valid after PUT');
    assert.equal((await send('DELETE', `/register/${clientId}`, { token })).status, 204);
    assertError(await send('GET', `/register/${clientId}`, { token }), 401, 'invalid_token');
  });

  test('an invalid registration access token', async () => {
    const { client_id: clientId } = (await send('POST', '/register', { json: await metadata() })).json;
    assertError(await send('GET', `/register/${clientId}`, { token: 'not-the-token' }), 401, 'invalid_token');
  });

  test('a software statement with a bad signature, one signed by a key the directory does not have, and none at all', async () => {
    assertError(await send('POST', '/register', { json: await metadata({ software_statement: tamper(await statement()) }) }), 400, 'invalid_software_statement', /signature/);
    assertError(await send('POST', '/register', { json: await metadata({ software_statement: await statement({}, await testKey('PS256')) }) }), 400, 'unapproved_software_statement');
    assertError(await send('POST', '/register', { json: await metadata({ software_statement: undefined }) }), 400, 'invalid_software_statement', /required/);
  });

  test('no client certificate, and the certificate of another organisation', async () => {
    assertError(await send('POST', '/register', { json: await metadata(), cert: null }), 400, 'invalid_request', /certificate is required/);
    assertError(await send('POST', '/register', { json: await metadata(), cert: otherOrg }), 400, 'invalid_client_metadata', /not organisation org-active's/);
  });

  test("a jwks_uri other than the statement's, and jwks by value", async () => {
    assertError(await send('POST', '/register', { json: await metadata({ jwks_uri: 'https://elsewhere.example/jwks' }) }), 400, 'invalid_client_metadata', /jwks_uri/);
    const byValue = { jwks: jwksOf(await testKey('PS256')), jwks_uri: undefined };
    assertError(await send('POST', '/register', { json: await metadata(byValue) }), 400, 'invalid_client_metadata', /jwks by value/);
  });

  test("redirect URIs outside the statement's, on registration and on update", async () => {
    assertError(await send('POST', '/register', { json: await metadata({ redirect_uris: ['https://evil.example/cb'] }) }), 400, 'invalid_redirect_uri');
    const { client_id: clientId, registration_access_token: token } = (await send('POST', '/register', { json: await metadata() })).json;
    assertError(await send('PUT', `/register/${clientId}`, { token, json: { ...(await metadata({ redirect_uris: ['https://evil.example/cb'] })), client_id: clientId } }), 400, 'invalid_redirect_uri');
  });
});
