// Software statements in every validation mode, with real keys and local JWKS hosts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { jwksOf, signWith, tamper, testKey, unsigned, type TestKey } from '../helpers/keys.ts';
import { startScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT, withServer } from '../helpers/server.ts';

const now = () => Math.floor(Date.now() / 1000);
const LOOPBACK = { outboundAllowHttp: true, outboundAllowPrivateAddresses: true };
const ISSUER = 'https://directory.example';


describe('software statements', () => {
  let host: HttpHost;
  let directory: TestKey;
  let other: TestKey;
  before(async () => {
    host = await startHttpHost();
    directory = await testKey('PS256', 'directory-1');
    other = await testKey('ES256', 'other');
    host.routes.set('/directory/jwks', json(jwksOf(directory)));
  });
  after(() => host.close());

  const statement = (claims: Record<string, unknown> = {}, signer: TestKey | { secret: string } = directory, options = {}) =>
    signWith({ iss: ISSUER, software_id: 'sw-1', client_name: 'From statement', ...claims }, signer, options);

  describe('builtin validation', () => {
    const builtin = () => ({
      softwareStatementValidationType: 'builtin',
      dcrSsaValidationConfigs: [
        // Key sets in configuration are accepted as JSON strings, as Janssen stores them.
        { id: 'dir', type: 'SSA', issuers: [ISSUER], jwks: JSON.stringify(jwksOf(directory)), scopes: ['openid', 'accounts'], allowedClaims: ['software_id', 'client_name', 'scope', 'redirect_uris', 'software_redirect_uris'] },
        { id: 'hmac', type: 'ssa', issuers: ['https://hmac.example'], sharedSecret: 'a-long-shared-secret-for-hs256-signing' },
        { id: 'remote', type: 'SSA', issuers: ['https://remote.example'], jwks_uri: `${host.url}/directory/jwks` },
      ],
      trustedSsaIssuers: { [ISSUER]: { automaticallyGrantedScopes: ['payments'] } },
      scopesSupported: ['openid', 'accounts', 'admin', 'payments'],
      ...LOOPBACK,
    });

    it('accepts a statement from a trusted issuer; its claims take precedence and it is echoed unmodified', async () => {
      await withServer(builtin(), async (server) => {
        const token = await statement({ scope: 'openid accounts admin', logo_uri: 'https://evil.example/x.png' });
        const response = await server.register({ ...WEB_CLIENT, client_name: 'From request', software_id: 'other', software_statement: token });
        assert.equal(response.status, 201, response.text);
        assert.equal(response.json.client_name, 'From statement');
        assert.equal(response.json.software_id, 'sw-1');
        assert.equal(response.json.software_statement, token);
        assert.equal(response.json.logo_uri, undefined, 'claims outside allowedClaims are dropped');
        assert.equal(response.json.scope, 'openid accounts payments', 'entry scopes limit the statement, trustedSsaIssuers grant more');
      });
    });

    it('verifies HS256 statements with the shared secret and remote keys from jwks_uri', async () => {
      await withServer(builtin(), async (server) => {
        const hmac = await signWith({ iss: 'https://hmac.example', software_id: 'h' }, { secret: 'a-long-shared-secret-for-hs256-signing' });
        assert.equal((await server.register({ ...WEB_CLIENT, software_statement: hmac })).status, 201);
        const remote = await signWith({ iss: 'https://remote.example' }, directory);
        assert.equal((await server.register({ ...WEB_CLIENT, software_statement: remote })).status, 201);
      });
    });

    it('refuses with invalid_software_statement: unsigned, tampered, expired, not yet valid, no iss, wrong alg, garbage', async () => {
      await withServer(builtin(), async (server) => {
        const cases: Array<[string, Promise<string> | string, RegExp]> = [
          ['alg none', unsigned({ iss: ISSUER }), /not signed/],
          ['tampered', statement().then(tamper), /signature/],
          ['expired', statement({}, directory, { exp: now() - 3600 }), /expired/],
          ['not yet valid', statement({}, directory, { nbf: now() + 3600 }), /not yet valid/],
          ['no iss', signWith({ software_id: 'x' }, directory), /no iss/],
          ['signed by an impostor key with the same kid', testKey('PS256', 'directory-1').then((impostor) => signWith({ iss: ISSUER }, impostor)), /signature/],
          ['garbage', 'not.a.jwt', /decoded/],
          ['not a string', 42 as unknown as string, /JWT string/],
        ];
        for (const [name, token, pattern] of cases) {
          assertError(await server.register({ ...WEB_CLIENT, software_statement: await token }), 400, 'invalid_software_statement', pattern);
          void name;
        }
      });
    });

    it('refuses with unapproved_software_statement: untrusted issuer, no key for the header', async () => {
      await withServer(builtin(), async (server) => {
        assertError(await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://rogue.example' }, directory) }), 400, 'unapproved_software_statement', /not trusted/);
        assertError(await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: ISSUER }, other) }), 400, 'unapproved_software_statement', /no key/);
        assertError(await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://hmac.example' }, directory) }), 400, 'unapproved_software_statement');
      });
    });

    it('keeps redirect URIs within software_redirect_uris and keys in agreement with the statement', async () => {
      await withServer({ ...builtin(), dcrSsaValidationConfigs: [{ id: 'open', type: 'SSA', issuers: [ISSUER], jwks: jwksOf(directory) }] }, async (server) => {
        const token = await statement({ software_redirect_uris: ['https://tpp.example/cb', 'https://tpp.example/cb2'], jwks_uri: 'https://tpp.example/jwks' });
        const within = await server.register({ redirect_uris: ['https://tpp.example/cb2'], software_statement: token });
        assert.equal(within.status, 201, within.text);
        assert.deepEqual(within.json.redirect_uris, ['https://tpp.example/cb2']);
        const defaulted = await server.register({ software_statement: token });
        assert.deepEqual(defaulted.json.redirect_uris, ['https://tpp.example/cb', 'https://tpp.example/cb2'], 'the statement\'s URIs when the request names none');
        assertError(await server.register({ redirect_uris: ['https://evil.example/cb'], software_statement: token }), 400, 'invalid_redirect_uri', /software_redirect_uris/);
        assertError(await server.register({ redirect_uris: ['https://tpp.example/cb'], jwks_uri: 'https://evil.example/jwks', software_statement: token }), 400, 'invalid_client_metadata', /jwks_uri/);
        const same = await server.register({ redirect_uris: ['https://tpp.example/cb'], jwks_uri: 'https://tpp.example/jwks', software_statement: token });
        assert.equal(same.status, 201, same.text);
      });
    });

    it('follows key rotation at the JWKS host, refetching on an unknown kid no more often than the cool-down', async () => {
      const rotated = await testKey('ES256', 'directory-2');
      let served = jwksOf(directory);
      host.routes.set('/rotating/jwks', (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(JSON.stringify(served));
      });
      const properties = {
        ...builtin(),
        dcrSsaValidationConfigs: [{ id: 'rot', type: 'SSA', issuers: ['https://rotating.example'], jwks_uri: `${host.url}/rotating/jwks` }],
        jwksRefetchCooldownSeconds: 3600,
      };
      await withServer(properties, async (server) => {
        const fetches = () => host.hits.get('/rotating/jwks') ?? 0;
        assert.equal((await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://rotating.example' }, directory) })).status, 201);
        assert.equal(fetches(), 1);
        assert.equal((await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://rotating.example' }, directory) })).status, 201);
        assert.equal(fetches(), 1, 'cached (max-age)');
        served = jwksOf(directory, rotated);
        // A new kid within the cool-down of the first fetch: no refetch yet, unapproved.
        assertError(await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://rotating.example' }, rotated) }), 400, 'unapproved_software_statement');
        for (let i = 0; i < 5; i += 1) {
          await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://rotating.example' }, { ...rotated, kid: `unknown-${i}` }) });
        }
        assert.equal(fetches(), 1, 'a stream of unknown kids does not hammer the host');
      });
      await withServer({ ...properties, jwksRefetchCooldownSeconds: 0 }, async (server) => {
        served = jwksOf(directory);
        assert.equal((await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://rotating.example' }, directory) })).status, 201);
        served = jwksOf(directory, rotated);
        const before = host.hits.get('/rotating/jwks') ?? 0;
        const response = await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://rotating.example' }, rotated) });
        assert.equal(response.status, 201, response.text);
        assert.equal((host.hits.get('/rotating/jwks') ?? 0) - before, 1, 'exactly one refetch for the unknown kid');
      });
    });
  });

  it('none: claims are applied without verification (conveys no trust), but alg none and expiry are still refused', async () => {
    await withServer({ softwareStatementValidationType: 'none' }, async (server) => {
      const tampered = tamper(await statement());
      const response = await server.register({ ...WEB_CLIENT, software_statement: tampered });
      assert.equal(response.status, 201);
      assert.equal(response.json.client_name, 'From statementtampered');
      assertError(await server.register({ ...WEB_CLIENT, software_statement: unsigned({ iss: ISSUER }) }), 400, 'invalid_software_statement');
      assertError(await server.register({ ...WEB_CLIENT, software_statement: await statement({}, directory, { exp: now() - 600 }) }), 400, 'invalid_software_statement', /expired/);
    });
  });

  it('jwks and jwks_uri: keys from the statement\'s own claim (conveys no trust)', async () => {
    await withServer({ softwareStatementValidationType: 'jwks' }, async (server) => {
      const token = await statement({ jwks: jwksOf(other) }, other);
      assert.equal((await server.register({ ...WEB_CLIENT, software_statement: token })).status, 201);
      assertError(await server.register({ ...WEB_CLIENT, software_statement: tamper(token) }), 400, 'invalid_software_statement');
      assertError(await server.register({ ...WEB_CLIENT, software_statement: await statement({}, other) }), 400, 'unapproved_software_statement');
    });
    await withServer({ softwareStatementValidationType: 'jwks_uri', softwareStatementValidationClaimName: 'keys_at', ...LOOPBACK }, async (server) => {
      const token = await statement({ keys_at: `${host.url}/directory/jwks` });
      assert.equal((await server.register({ ...WEB_CLIENT, software_statement: token })).status, 201);
      assertError(await server.register({ ...WEB_CLIENT, software_statement: await statement({ keys_at: `${host.url}/missing` }) }), 400, 'unapproved_software_statement', /HTTP 404/);
    });
    await withServer({ softwareStatementValidationType: 'jwks_uri' }, async (server) => {
      const token = await statement({ jwks_uri: `${host.url}/directory/jwks` });
      assertError(await server.register({ ...WEB_CLIENT, software_statement: token }), 400, 'unapproved_software_statement', /public address|https/);
    });
  });

  it('script: keys from getSoftwareStatementJwks / getSoftwareStatementHmacSecret, first non-empty answer wins', async () => {
    const server = await startScriptServer({
      silent: [`export function getSoftwareStatementJwks() { return null; }`, { priority: 1 }],
      keys: [
        `export function getSoftwareStatementJwks(context) {
           if (context.claims.iss !== '${ISSUER}') return undefined;
           return JSON.stringify(context.properties.jwks);
         }
         export function getSoftwareStatementHmacSecret(context) { return context.header.alg === 'HS256' ? 'script-held-secret-value-0123456789' : null; }`,
        { priority: 2, properties: { jwks: jwksOf(directory) } },
      ],
    });
    try {
      assert.equal((await server.register({ ...WEB_CLIENT, software_statement: await statement() })).status, 201);
      assert.equal((await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'x' }, { secret: 'script-held-secret-value-0123456789' }) })).status, 201);
      assertError(await server.register({ ...WEB_CLIENT, software_statement: await signWith({ iss: 'https://else.example' }, directory) }), 400, 'unapproved_software_statement', /no trusted key/);
      assertError(await server.register({ ...WEB_CLIENT, software_statement: tamper(await statement()) }), 400, 'invalid_software_statement');
    } finally {
      await server.close();
    }
  });

  it('dcrSoftwareStatementRequired makes a statement mandatory on POST and PUT', async () => {
    await withServer({ dcrSoftwareStatementRequired: true, softwareStatementValidationType: 'builtin', dcrSsaValidationConfigs: [{ id: 'd', type: 'SSA', issuers: [ISSUER], jwks: jwksOf(directory) }] }, async (server) => {
      assertError(await server.register(WEB_CLIENT), 400, 'invalid_software_statement', /required/);
      const token = await statement();
      const created = (await server.register({ ...WEB_CLIENT, software_statement: token })).json;
      const path = new URL(created.registration_client_uri).pathname;
      assertError(await server.request('PUT', path, { token: created.registration_access_token, json: WEB_CLIENT }), 400, 'invalid_software_statement', /required/);
      const updated = await server.request('PUT', path, { token: created.registration_access_token, json: { ...WEB_CLIENT, software_statement: token } });
      assert.equal(updated.status, 200, updated.text);
    });
  });
});
