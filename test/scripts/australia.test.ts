// The Australia CDR trust pack (scripts/australia-cdr.js with the directory plugin's status lists)
// against a local Register serving the data-recipient and software-product status lists in their
// published shape (x-v 3).
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Handler } from '../helpers/httpHost.ts';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { jwksOf, signWith, testKey, type TestKey } from '../helpers/keys.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError } from '../helpers/server.ts';

const PACK = new URL('../../scripts/', import.meta.url).pathname;

/** The Register answers only requests that name the version, as the real one does. */
const versioned = (body: unknown): Handler => (request, response) =>
  request.headers['x-v'] === '3' ? json(body)(request, response) : response.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"code":"urn:au-cds:error:cds-all:Header/Missing"}]}');

describe('Australia CDR trust pack', () => {
  let register: HttpHost;
  let server: ScriptServer;
  let key: TestKey;
  let now = Date.now();
  const recipients = (status = 'ACTIVE') => ({ data: [{ legalEntityId: 'dr-1', status }, { legalEntityId: 'dr-2', status: 'SUSPENDED' }], links: { self: 'x' }, meta: {} });
  const products = { data: [{ softwareProductId: 'sp-1', status: 'ACTIVE' }, { softwareProductId: 'sp-2', status: 'INACTIVE' }], links: { self: 'x' }, meta: {} };
  const registration = async (orgId: string, softwareId: string) =>
    server.register({
      redirect_uris: ['https://recipient.example.com.au/cb'],
      // A CDR statement lives about ten minutes.
      software_statement: await signWith({ iss: 'cdr-register', org_id: orgId, software_id: softwareId }, key, { iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 600 }),
    });

  before(async () => {
    key = await testKey('PS256');
    register = await startHttpHost();
    register.routes.set('/cdr-register/v1/all/data-recipients/status', versioned(recipients()));
    register.routes.set('/cdr-register/v1/all/data-recipients/brands/software-products/status', versioned(products));
    server = await startScriptServer({}, {
      clock: () => now,
      properties: {
        outboundAllowHttp: true,
        outboundAllowPrivateAddresses: true,
        softwareStatementValidationType: 'builtin',
        dcrSsaValidationConfigs: [{ id: 'cdr', type: 'SSA', issuers: ['cdr-register'], jwks: jwksOf(key) }],
      },
    });
    cpSync(join(PACK, 'australia-cdr.js'), join(server.scriptsDir, 'australia-cdr.js'));
    const shipped = readFileSync(join(PACK, 'australia-cdr.json'), 'utf8').replaceAll('https://api.cdr.gov.au', register.url).replace('"enabled": false', '"enabled": true');
    writeFileSync(join(server.scriptsDir, 'australia-cdr.json'), shipped);
    await server.registrar.scripts.reload('australia-cdr');
    assert.equal(scriptStatus(server, 'australia-cdr').state, 'active', JSON.stringify(scriptStatus(server, 'australia-cdr').lastError));
  });
  after(async () => {
    await server?.close();
    await register?.close();
  });

  test('an ACTIVE data recipient with an ACTIVE software product registers', async () => {
    const registered = await registration('dr-1', 'sp-1');
    assert.equal(registered.status, 201, registered.text);
  });

  test('refused: a suspended recipient, an inactive product, one the Register does not list', async () => {
    assertError(await registration('dr-2', 'sp-1'), 400, 'unapproved_software_statement', /dr-2 is SUSPENDED/);
    assertError(await registration('dr-1', 'sp-2'), 400, 'unapproved_software_statement', /sp-2 is INACTIVE/);
    assertError(await registration('dr-9', 'sp-1'), 400, 'unapproved_software_statement', /not on the Register/);
  });

  test('the Register down: the last good copies decide; a change is seen after the refresh interval', async () => {
    register.routes.set('/cdr-register/v1/all/data-recipients/status', (_request, response) => response.writeHead(503).end());
    now += 301 * 1000;
    assert.equal((await registration('dr-1', 'sp-1')).status, 201, 'the last good copy still says ACTIVE');
    register.routes.set('/cdr-register/v1/all/data-recipients/status', versioned(recipients('REVOKED')));
    now += 301 * 1000;
    assertError(await registration('dr-1', 'sp-1'), 400, 'unapproved_software_statement', /dr-1 is REVOKED/);
  });
});
