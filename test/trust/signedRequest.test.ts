// Signed registration requests (application/jwt), each key family, every key source, and the
// FAPI / UK Open Banking nesting of a TPP-signed request around a directory-signed statement.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { jwksOf, signWith, tamper, testKey, unsigned, type TestKey } from '../helpers/keys.ts';
import { startScriptServer } from '../helpers/scripts.ts';
import { assertError, type TestServer, withServer } from '../helpers/server.ts';

const now = () => Math.floor(Date.now() / 1000);
const cb = 'https://tpp.example/cb';
const LOOPBACK = { outboundAllowHttp: true, outboundAllowPrivateAddresses: true };

const postJwt = (server: TestServer, token: string, type = 'application/jwt', path = '/register') =>
  server.request('POST', path, { body: token, headers: { 'content-type': type, accept: 'application/json' } });


describe('signed registration requests', () => {
  const keys = new Map<string, TestKey>();
  let host: HttpHost;
  before(async () => {
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) keys.set(alg, await testKey(alg));
    host = await startHttpHost();
    host.routes.set('/tpp/jwks', json(jwksOf(keys.get('ES256')!)));
  });
  after(() => host.close());

  const request = (claims: Record<string, unknown>, signer: TestKey | { secret: string }, options = {}) =>
    signWith({ iss: 'tpp', redirect_uris: [cb], client_name: 'Signed', ...claims }, signer, { exp: now() + 300, ...options });

  it('are refused unless dcrSignatureValidationEnabled', async () => {
    await withServer({}, async (server) => {
      assertError(await postJwt(server, await request({}, keys.get('ES256')!)), 400, 'invalid_request', /dcrSignatureValidationEnabled/);
    });
  });

  it('verify with each key family: RS256, PS256, ES256, EdDSA from dcrSignatureValidationJwks, HS256 from the shared secret', async () => {
    const properties = {
      dcrSignatureValidationEnabled: true,
      dcrSignatureValidationJwks: JSON.stringify(jwksOf(...keys.values())),
      dcrSignatureValidationSharedSecret: 'shared-secret-of-at-least-32-bytes!!',
    };
    await withServer(properties, async (server) => {
      for (const [alg, key] of keys) {
        const response = await postJwt(server, await request({ client_name: alg }, key));
        assert.equal(response.status, 201, `${alg}: ${response.text}`);
        assert.equal(response.json.client_name, alg);
        assert.equal(response.json.iss, undefined, 'JWT claims that are not metadata are dropped');
      }
      const hmac = await postJwt(server, await request({ client_name: 'HS256' }, { secret: 'shared-secret-of-at-least-32-bytes!!' }), 'application/jose', '/jans-auth/restv1/register');
      assert.equal(hmac.status, 201, hmac.text);
    });
  });

  it('refuse tampered, unsigned, expired, future-dated, exp-less, wrong-audience and disallowed-algorithm requests', async () => {
    const es = keys.get('ES256')!;
    const properties = {
      dcrSignatureValidationEnabled: true,
      dcrSignatureValidationJwks: jwksOf(...keys.values()),
      dcrSignatureValidationAudience: ['https://registrar.example'],
      dcrSignatureValidationAllowedAlgorithms: ['ES256', 'PS256'],
      dcrSignatureValidationClockSkewSeconds: 30,
    };
    await withServer(properties, async (server) => {
      const aud = { aud: 'https://registrar.example' };
      assert.equal((await postJwt(server, await request(aud, es))).status, 201);
      const cases: Array<[string, string, RegExp]> = [
        ['tampered', tamper(await request(aud, es)), /signature/],
        ['unsigned', unsigned({ iss: 'tpp', redirect_uris: [cb], exp: now() + 60, iat: now() }), /not signed/],
        ['expired', await request(aud, es, { exp: now() - 60 }), /expired/],
        ['iat in the future', await request(aud, es, { iat: now() + 600 }), /iat/],
        ['no exp', await signWith({ iss: 'tpp', redirect_uris: [cb], ...aud }, es), /exp/],
        ['no iat', await request(aud, es, { iat: null }), /iat/],
        ['wrong audience', await request({ aud: 'https://elsewhere.example' }, es), /aud/],
        ['RS256 not allowed here', await request(aud, keys.get('RS256')!), /RS256/],
        ['not a JWT', 'hello', /not a signed JWT/],
        ['alg NoNe', unsigned({ iss: 'tpp', exp: now() + 60, iat: now() }).replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: 'NoNe' })).toString('base64url')), /not signed/],
        ['payload that is not JSON', `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('not json').toString('base64url')}.sig`, /cannot be decoded/],
        ['deeply nested claims', await request({ ...aud, deep: JSON.parse('['.repeat(100) + ']'.repeat(100)) }, es), /nested/],
      ];
      for (const [name, token, pattern] of cases) {
        const response = await postJwt(server, token);
        assertError(response, 400, 'invalid_software_statement', pattern);
        void name;
      }
      // A key the server does not know (a jku pointing elsewhere is not followed): the signer is not trusted.
      const foreign = await request(aud, await testKey('ES256', 'attacker'), { header: { jku: 'https://attacker.example/jwks' } });
      assertError(await postJwt(server, foreign), 400, 'unapproved_software_statement', /no key/);
      // Within the clock skew: accepted.
      assert.equal((await postJwt(server, await request(aud, es, { exp: now() - 10 }))).status, 201);
    });
  });

  it('take keys from dcrSignatureValidationJwksUri, and from getDcrJwks / getDcrHmacSecret hooks', async () => {
    await withServer({ dcrSignatureValidationEnabled: true, dcrSignatureValidationJwksUri: `${host.url}/tpp/jwks`, ...LOOPBACK }, async (server) => {
      assert.equal((await postJwt(server, await request({}, keys.get('ES256')!))).status, 201);
      assertError(await postJwt(server, await request({}, keys.get('PS256')!)), 400, 'unapproved_software_statement', /no key/);
    });
    const server = await startScriptServer(
      {
        dcrKeys: [
          `export function getDcrJwks(context) { return context.claims.iss === 'tpp' ? context.properties.jwks : null; }
           export function getDcrHmacSecret() { return 'hook-secret-hook-secret-hook-secret!'; }`,
          { properties: { jwks: jwksOf(keys.get('EdDSA')!) } },
        ],
      },
      { properties: { dcrSignatureValidationEnabled: true } },
    );
    try {
      assert.equal((await postJwt(server, await request({}, keys.get('EdDSA')!))).status, 201);
      assert.equal((await postJwt(server, await request({}, { secret: 'hook-secret-hook-secret-hook-secret!' }))).status, 201);
      assertError(await postJwt(server, await request({ iss: 'stranger' }, keys.get('EdDSA')!)), 400, 'unapproved_software_statement', /no trusted key/);
    } finally {
      await server.close();
    }
  });

  describe('FAPI / UK Open Banking nesting', () => {
    let directoryKey: TestKey;
    let tppKey: TestKey;
    before(async () => {
      directoryKey = await testKey('PS256', 'obie-signing');
      tppKey = await testKey('PS256', 'tpp-signing');
      host.routes.set('/obie/jwks', json(jwksOf(directoryKey)));
      host.routes.set('/tpp-1/jwks', json(jwksOf(tppKey)));
    });

    const fapiProperties = () => ({
      dcrSignatureValidationEnabled: true,
      softwareStatementValidationType: 'builtin',
      dcrSsaValidationConfigs: [{ id: 'obie', type: 'SSA', issuers: ['OpenBanking Ltd'], jwks_uri: `${host.url}/obie/jwks` }],
      dcrSignatureValidationSoftwareStatementJwksURIClaim: 'software_jwks_endpoint',
      fapiCompatibility: true,
      // UK Open Banking clients register `code id_token` without listing implicit.
      grantTypesAndResponseTypesAutofixEnabled: true,
      ...LOOPBACK,
    });

    const ssa = (claims: Record<string, unknown> = {}) =>
      signWith(
        {
          iss: 'OpenBanking Ltd',
          software_id: '65d1f27c',
          org_id: '0015800001041RE',
          software_client_name: 'TPP App',
          software_redirect_uris: [cb],
          software_jwks_endpoint: `${host.url}/tpp-1/jwks`,
          software_version: '2.1',
          ...claims,
        },
        directoryKey,
      );

    const outer = async (claims: Record<string, unknown> = {}, signer: TestKey = tppKey) =>
      signWith(
        {
          iss: '65d1f27c',
          aud: 'https://registrar.example',
          token_endpoint_auth_method: 'private_key_jwt',
          grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
          response_types: ['code id_token'],
          id_token_signed_response_alg: 'PS256',
          request_object_signing_alg: 'PS256',
          redirect_uris: [cb],
          jwks_uri: `${host.url}/tpp-1/jwks`,
          software_statement: await ssa(),
          ...claims,
        },
        signer,
        { exp: now() + 300 },
      );

    it('verifies the TPP-signed request with keys named by the directory-signed statement; hooks see both', async () => {
      const server = await startScriptServer(
        {
          witness: `export function createClient(context) {
            return { software_version: context.softwareStatement.claims.software_version + '/' + context.signedRequest.claims.iss };
          }`,
        },
        { properties: fapiProperties() },
      );
      try {
        const response = await postJwt(server, await outer());
        assert.equal(response.status, 201, response.text);
        assert.equal(response.json.software_id, '65d1f27c');
        assert.equal(response.json.org_id, undefined, 'org_id is not metadata unless configured as a custom attribute');
        assert.equal(response.json.software_version, '2.1/65d1f27c');
        assert.equal(response.json.token_endpoint_auth_method, 'private_key_jwt');
        assert.deepEqual(response.json.grant_types, ['authorization_code', 'refresh_token', 'client_credentials', 'implicit'], 'autofixed');
        assert.equal(response.json.id_token_signed_response_alg, 'PS256');
        assert.match(response.json.software_statement, /^ey/);
      } finally {
        await server.close();
      }
    });

    it('refuses a request whose iss is not the statement\'s software_id, a tampered inner statement, a foreign TPP key', async () => {
      await withServer(fapiProperties(), async (server) => {
        assertError(await postJwt(server, await outer({ iss: 'someone-else' })), 400, 'invalid_client_metadata', /software_id/);
        assertError(await postJwt(server, await outer({ software_id: 'different' })), 400, 'invalid_client_metadata', /software_id differs/);
        assertError(await postJwt(server, await outer({ software_statement: tamper(await ssa()) })), 400, 'invalid_software_statement', /signature/);
        const foreign = await testKey('PS256', 'tpp-signing');
        assertError(await postJwt(server, await outer({}, foreign)), 400, 'invalid_software_statement', /signature/);
      });
    });

    it('applies the FAPI limits: PS256 / ES256 only, response types code and code id_token', async () => {
      await withServer(fapiProperties(), async (server) => {
        assertError(await postJwt(server, await outer({ id_token_signed_response_alg: 'RS256' })), 400, 'invalid_client_metadata', /PS256 or ES256/);
        assertError(await postJwt(server, await outer({ response_types: ['code id_token token'], grant_types: ['authorization_code', 'implicit'] })), 400, 'invalid_client_metadata', /fapiCompatibility/);
        const rsTpp = await testKey('RS256', 'tpp-signing');
        host.routes.set('/tpp-rs/jwks', json(jwksOf(rsTpp)));
        const rsSsa = await ssa({ software_jwks_endpoint: `${host.url}/tpp-rs/jwks` });
        assertError(await postJwt(server, await outer({ software_statement: rsSsa }, rsTpp)), 400, 'invalid_software_statement', /RS256/);
        const plain = await server.register({ redirect_uris: [cb], grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${host.url}/tpp-1/jwks` });
        assert.equal(plain.status, 201, plain.text);
        assert.equal(plain.json.id_token_signed_response_alg, 'PS256', 'the default follows FAPI');
      });
    });
  });
});
