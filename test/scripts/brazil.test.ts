// The Brazil Open Finance trust pack (scripts/brazil-open-finance.js with the directory plugin's
// participants list) against a local directory serving the list in its published shape.
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { jwksOf, signWith, testKey, type TestKey } from '../helpers/keys.ts';
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

describe('Brazil Open Finance trust pack', () => {
  let directory: HttpHost;
  let server: ScriptServer;
  let key: TestKey;
  let now = Date.now();
  // Statements are issued at the server's (moving) clock.
  const register = async (orgId: string, scope: string) =>
    server.register({
      redirect_uris: ['https://tpp.example.com.br/cb'],
      scope,
      software_statement: await signWith({ iss: 'Open Finance Brasil', org_id: orgId, software_id: `sw-${orgId}` }, key, { iat: Math.floor(now / 1000) }),
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
      const answer = await fresh.register({ redirect_uris: ['https://tpp.example.com.br/cb'], software_statement: await signWith({ iss: 'Open Finance Brasil', org_id: 'org-active' }, key) });
      assert.notEqual(answer.status, 201, answer.text);
      assert.ok(answer.status >= 500, answer.text);
    } finally {
      await fresh.close();
    }
  });
});
