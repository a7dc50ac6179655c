// Table-driven metadata rules, through a real listening server.
import assert from 'node:assert/strict';
import { generateKeyPair, exportJWK } from 'jose';
import { after, before, describe, it } from 'node:test';
import { assertError, startServer, type TestServer } from '../helpers/server.ts';

const cb = 'https://client.example.org/cb';

type Case = [name: string, metadata: Record<string, unknown>, error: string, pattern?: RegExp];

const REFUSED: Case[] = [
  // redirect URIs
  ['redirect_uris missing for authorization_code', {}, 'invalid_redirect_uri', /required/],
  ['redirect_uris not an array', { redirect_uris: cb }, 'invalid_redirect_uri'],
  ['redirect_uris with a non-string', { redirect_uris: [42] }, 'invalid_redirect_uri'],
  ['relative redirect URI', { redirect_uris: ['/cb'] }, 'invalid_redirect_uri', /absolute/],
  ['fragment', { redirect_uris: ['https://client.example.org/cb#frag'] }, 'invalid_redirect_uri', /fragment/],
  ['empty fragment', { redirect_uris: ['https://client.example.org/cb#'] }, 'invalid_redirect_uri', /fragment/],
  ['web http non-loopback', { redirect_uris: ['http://client.example.org/cb'] }, 'invalid_redirect_uri', /https/],
  ['web custom scheme', { redirect_uris: ['com.example.app:/cb'] }, 'invalid_redirect_uri', /native/],
  ['javascript:', { redirect_uris: ['javascript:alert(1)'], application_type: 'native' }, 'invalid_redirect_uri', /javascript/],
  ['data:', { redirect_uris: ['data:text/html,hi'], application_type: 'native' }, 'invalid_redirect_uri', /data/],
  ['file:', { redirect_uris: ['file:///etc/passwd'], application_type: 'native' }, 'invalid_redirect_uri', /file/],
  ['vbscript:', { redirect_uris: ['vbscript:msgbox'], application_type: 'native' }, 'invalid_redirect_uri', /vbscript/],
  ['JavaScript: in capitals', { redirect_uris: ['JavaScript:alert(1)'], application_type: 'native' }, 'invalid_redirect_uri'],
  ['native http non-loopback', { redirect_uris: ['http://client.example.org/cb'], application_type: 'native' }, 'invalid_redirect_uri'],
  // what a URL parser would repair is refused: the URI is stored as sent
  ['CR LF in a redirect URI', { redirect_uris: ['https://client.example.org/cb\r\nX-Injected: 1'] }, 'invalid_redirect_uri', /control characters/],
  ['backslash in a redirect URI', { redirect_uris: ['https://client.example.org\\@evil.example/cb'] }, 'invalid_redirect_uri', /backslashes/],
  ['userinfo in a redirect URI', { redirect_uris: ['https://user:pass@client.example.org/cb'] }, 'invalid_redirect_uri', /user information/],
  // a URI in another form than browsers will use (they map it, so a string match would miss it)
  ...([
    ['fullwidth letters', 'https://ｃｌｉｅｎｔ.example.org/cb'],
    ['a soft hyphen', 'https://cli\u00adent.example.org/cb'],
    ['an ideographic full stop', 'https://client\u3002example.org/cb'],
    ['upper case', 'https://Client.Example.org/cb'],
    ['the default port', 'https://client.example.org:443/cb'],
    ['dot segments', 'https://client.example.org/a/../cb'],
    ['a percent-encoded host', 'https://client.exa%6Dple.org/cb'],
    ['U+2028', 'https://client.example.org/c\u2028b'],
    ['U+202E', 'https://client.example.org/\u202Ebc'],
  ] as const).map(([what, uri]): Case => [`a redirect URI with ${what}`, { redirect_uris: [uri] }, 'invalid_redirect_uri', /as browsers read it/]),
  ...(['https://10.1.2.3/logo.png', 'https://localhost/logo.png', 'http://169.254.169.254/logo.png', 'https://[::1]/logo.png'] as const).map(
    (uri): Case => [`a logo_uri inside: ${uri}`, { redirect_uris: [cb], logo_uri: uri }, 'invalid_client_metadata', /logo_uri must not point at a loopback, private or link-local address/],
  ),
  ['the form browsers use, named', { redirect_uris: ['https://Client.example.org/cb'] }, 'invalid_redirect_uri', /"https:\/\/client\.example\.org\/cb"/],
  ...(['view-source:https://client.example.org/', 'chrome://settings', 'jar:https://client.example.org/a.jar!/cb'] as const).map(
    (uri): Case => [`the browser's own scheme ${uri.split(':')[0]}:`, { redirect_uris: [uri], application_type: 'native' }, 'invalid_redirect_uri', /scheme/],
  ),
  ['userinfo with an empty password', { redirect_uris: ['https://client.example.org:@evil.example/cb'] }, 'invalid_redirect_uri', /user information/],
  ['one slash after the scheme', { redirect_uris: ['https:/client.example.org/cb'] }, 'invalid_redirect_uri', /scheme:\/\/host/],
  ['a space in a redirect URI', { redirect_uris: ['https://client.example.org/c b'] }, 'invalid_redirect_uri', /whitespace/],
  ['a tab in a logo URI', { redirect_uris: [cb], logo_uri: 'https://client.example.org/\tlogo.png' }, 'invalid_client_metadata', /whitespace/],
  // what the servers will dereference must be public and https
  ['jwks_uri at the cloud metadata address', { redirect_uris: [cb], jwks_uri: 'https://169.254.169.254/latest/meta-data' }, 'invalid_client_metadata', /jwks_uri must point at a public address/],
  ['jwks_uri on a name that resolves to loopback', { redirect_uris: [cb], jwks_uri: 'https://localhost/jwks' }, 'invalid_client_metadata', /public address/],
  ['request_uris at a private address', { redirect_uris: [cb], request_uris: ['https://10.0.0.1/r'] }, 'invalid_client_metadata', /request_uris must point at a public address/],
  ['backchannel_logout_uri over http', { redirect_uris: [cb], backchannel_logout_uri: 'http://client.example.org/logout' }, 'invalid_client_metadata', /https/],
  ['backchannel_logout_uri at a private address', { redirect_uris: [cb], backchannel_logout_uri: 'https://10.0.0.1/logout' }, 'invalid_client_metadata', /public address/],
  ['CIBA notification endpoint in NAT64 space', { grant_types: ['urn:openid:params:grant-type:ciba'], backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: 'https://[64:ff9b::a00:1]/n' }, 'invalid_client_metadata', /public address/],
  [
    'implicit web client on localhost',
    { redirect_uris: ['https://localhost/cb'], response_types: ['id_token'] },
    'invalid_redirect_uri',
    /localhost/,
  ],
  [
    'implicit web client on http loopback',
    { redirect_uris: ['http://127.0.0.1/cb'], response_types: ['id_token'] },
    'invalid_redirect_uri',
    /https/,
  ],
  ['post_logout_redirect_uris with fragment', { redirect_uris: [cb], post_logout_redirect_uris: [`${cb}#x`] }, 'invalid_client_metadata'],
  // other URIs
  ['logo_uri javascript:', { redirect_uris: [cb], logo_uri: 'javascript:alert(1)' }, 'invalid_client_metadata'],
  ['client_uri relative', { redirect_uris: [cb], client_uri: 'example' }, 'invalid_client_metadata'],
  ['policy_uri ftp', { redirect_uris: [cb], policy_uri: 'ftp://example.org/p' }, 'invalid_client_metadata'],
  ['jwks_uri http', { redirect_uris: [cb], jwks_uri: 'http://client.example.org/jwks' }, 'invalid_client_metadata', /https/],
  ['initiate_login_uri http', { redirect_uris: [cb], initiate_login_uri: 'http://client.example.org/login' }, 'invalid_client_metadata'],
  ['sector_identifier_uri http', { redirect_uris: [cb], sector_identifier_uri: 'http://client.example.org/s' }, 'invalid_client_metadata'],
  ['request_uris http', { redirect_uris: [cb], request_uris: ['http://client.example.org/r'] }, 'invalid_client_metadata'],
  // types
  ['client_name number', { redirect_uris: [cb], client_name: 5 }, 'invalid_client_metadata', /client_name/],
  ['contacts string', { redirect_uris: [cb], contacts: 'me@example.org' }, 'invalid_client_metadata', /contacts/],
  ['default_max_age negative', { redirect_uris: [cb], default_max_age: -1 }, 'invalid_client_metadata'],
  ['require_auth_time string', { redirect_uris: [cb], require_auth_time: 'true' }, 'invalid_client_metadata'],
  ['application_type unknown', { redirect_uris: [cb], application_type: 'desktop' }, 'invalid_client_metadata', /application_type/],
  ['lifetime zero', { redirect_uris: [cb], lifetime: 0 }, 'invalid_client_metadata'],
  ['scope with a quote', { redirect_uris: [cb], scope: 'openid "x"' }, 'invalid_client_metadata', /scope/],
  // grant and response types
  ['unsupported grant type', { redirect_uris: [cb], grant_types: ['authorization_code', 'urn:x:magic'] }, 'invalid_client_metadata', /urn:x:magic/],
  ['password grant disabled', { grant_types: ['password'], response_types: [] }, 'invalid_client_metadata', /password/],
  ['unsupported response type', { redirect_uris: [cb], response_types: ['code magic'] }, 'invalid_client_metadata'],
  ['code without authorization_code', { redirect_uris: [cb], grant_types: ['implicit'], response_types: ['code'] }, 'invalid_client_metadata'],
  ['token without implicit', { redirect_uris: [cb], grant_types: ['authorization_code'], response_types: ['code', 'token'] }, 'invalid_client_metadata'],
  ['authorization_code without code', { redirect_uris: [cb], grant_types: ['authorization_code'], response_types: [] }, 'invalid_client_metadata'],
  ['implicit without response type', { redirect_uris: [cb], grant_types: ['implicit'] }, 'invalid_client_metadata', /implicit/],
  // supported values
  ['unsupported auth method', { redirect_uris: [cb], token_endpoint_auth_method: 'magic' }, 'invalid_client_metadata', /token_endpoint_auth_method/],
  ['unsupported subject type', { redirect_uris: [cb], subject_type: 'ephemeral' }, 'invalid_client_metadata'],
  ['unsupported id token alg', { redirect_uris: [cb], id_token_signed_response_alg: 'XS999' }, 'invalid_client_metadata'],
  ['id token alg none', { redirect_uris: [cb], id_token_signed_response_alg: 'none' }, 'invalid_client_metadata', /none/],
  ['request object alg none', { redirect_uris: [cb], request_object_signing_alg: 'none' }, 'invalid_client_metadata', /none/],
  ['unsupported userinfo enc alg', { redirect_uris: [cb], userinfo_encrypted_response_alg: 'RSA1_5', jwks_uri: 'https://c.example/j' }, 'invalid_client_metadata'],
  ['enc without alg', { redirect_uris: [cb], id_token_encrypted_response_enc: 'A128GCM' }, 'invalid_client_metadata', /requires id_token_encrypted_response_alg/],
  ['asymmetric encryption without keys', { redirect_uris: [cb], id_token_encrypted_response_alg: 'RSA-OAEP' }, 'invalid_client_metadata', /jwks/],
  ['CIBA delivery mode unsupported', { grant_types: ['urn:openid:params:grant-type:ciba'], backchannel_token_delivery_mode: 'carrier-pigeon', jwks_uri: 'https://c.example/j' }, 'invalid_client_metadata'],
  ['CIBA without delivery mode', { grant_types: ['urn:openid:params:grant-type:ciba'] }, 'invalid_client_metadata', /backchannel_token_delivery_mode/],
  ['CIBA ping without endpoint', { grant_types: ['urn:openid:params:grant-type:ciba'], backchannel_token_delivery_mode: 'ping' }, 'invalid_client_metadata', /notification/],
  // keys and authentication methods
  ['jwks and jwks_uri', { redirect_uris: [cb], jwks_uri: 'https://c.example/j', jwks: { keys: [] } }, 'invalid_client_metadata', /both/],
  ['private_key_jwt without keys', { redirect_uris: [cb], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata', /jwks/],
  ['self_signed_tls_client_auth without keys', { redirect_uris: [cb], token_endpoint_auth_method: 'self_signed_tls_client_auth' }, 'invalid_client_metadata'],
  ['private_key_jwt with HS256', { redirect_uris: [cb], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'HS256', jwks_uri: 'https://c.example/j' }, 'invalid_client_metadata', /asymmetric/],
  ['request objects signed with PS256 and no keys', { redirect_uris: [cb], request_object_signing_alg: 'PS256' }, 'invalid_client_metadata', /request_object_signing_alg PS256 requires the client's public keys/],
  ['CIBA requests signed with ES256 and no keys', { grant_types: ['urn:openid:params:grant-type:ciba'], backchannel_token_delivery_mode: 'poll', backchannel_authentication_request_signing_alg: 'ES256' }, 'invalid_client_metadata', /public keys/],
  ['client_secret_jwt with RS256', { redirect_uris: [cb], token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'RS256' }, 'invalid_client_metadata', /HMAC/],
  ['empty jwks', { redirect_uris: [cb], jwks: { keys: [] } }, 'invalid_client_metadata', /at least one/],
  ['jwks not an object', { redirect_uris: [cb], jwks: 'keys' }, 'invalid_client_metadata'],
  ['symmetric key', { redirect_uris: [cb], jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 'invalid_client_metadata', /symmetric/],
  ['key without kty', { redirect_uris: [cb], jwks: { keys: [{ n: 'x' }] } }, 'invalid_client_metadata', /kty/],
  ['garbage RSA key', { redirect_uris: [cb], jwks: { keys: [{ kty: 'RSA', n: '!!', e: 'AQAB' }] } }, 'invalid_client_metadata', /base64url/],
  ['short RSA key', { redirect_uris: [cb], jwks: { keys: [{ kty: 'RSA', n: 'AQAB'.repeat(40), e: 'AQAB' }] } }, 'invalid_client_metadata', /2048/],
  ['EC point off the curve', { redirect_uris: [cb], jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AQAB'.repeat(10) + 'AQ', y: 'AQAB'.repeat(10) + 'AQ' }] } }, 'invalid_client_metadata', /valid public key/],
  // tls_client_auth
  ['tls_client_auth without subject', { redirect_uris: [cb], token_endpoint_auth_method: 'tls_client_auth' }, 'invalid_client_metadata', /exactly one/],
  [
    'tls_client_auth with two subjects',
    { redirect_uris: [cb], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=a', tls_client_auth_san_dns: 'a.example' },
    'invalid_client_metadata',
    /exactly one/,
  ],
  // pairwise
  [
    'pairwise across hosts without sector_identifier_uri',
    { redirect_uris: [cb, 'https://other.example.org/cb'], subject_type: 'pairwise' },
    'invalid_client_metadata',
    /sector_identifier_uri/,
  ],
];

const ACCEPTED: Array<[string, Record<string, unknown>, (client: any) => void]> = [
  ['web https', { redirect_uris: [cb] }, () => {}],
  ['null means absent', { redirect_uris: [cb], logo_uri: null, client_name: null }, (c) => assert.ok(!('logo_uri' in c) && !('client_name' in c))],
  ['HS256 ID tokens get a client_secret even without a secret-based method', { redirect_uris: [cb], token_endpoint_auth_method: 'none', id_token_signed_response_alg: 'HS256' }, (c) => assert.match(c.client_secret, /^[\w-]{43}$/)],
  ['symmetric key management gets a client_secret', { redirect_uris: [cb], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://client.example.org/jwks', userinfo_encrypted_response_alg: 'A128KW' }, (c) => assert.ok(c.client_secret)],
  ['no HMAC anywhere, no client_secret', { redirect_uris: [cb], token_endpoint_auth_method: 'none' }, (c) => assert.equal(c.client_secret, undefined)],
  ['web http loopback', { redirect_uris: ['http://localhost:3000/cb', 'http://127.0.0.1/cb', 'http://[::1]:8080/cb'] }, () => {}],
  ['native custom scheme', { application_type: 'native', redirect_uris: ['com.example.app:/oauth2redirect'] }, (c) => assert.equal(c.application_type, 'native')],
  ['native loopback', { application_type: 'native', redirect_uris: ['http://127.0.0.1:51004/cb'] }, () => {}],
  ['client credentials only', { grant_types: ['client_credentials'] }, (c) => assert.deepEqual(c.response_types, [])],
  ['response types derive grant types', { redirect_uris: [cb], response_types: ['code id_token'] }, (c) => assert.deepEqual(c.grant_types, ['authorization_code', 'implicit'])],
  ['response type word order', { redirect_uris: [cb], response_types: ['id_token code'], grant_types: ['authorization_code', 'implicit'] }, () => {}],
  ['enc defaulted', { redirect_uris: [cb], id_token_encrypted_response_alg: 'A128KW' }, (c) => assert.equal(c.id_token_encrypted_response_enc, 'A128CBC-HS256')],
  ['tls_client_auth with one subject', { redirect_uris: [cb], token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'app.example' }, () => {}],
  ['CIBA poll', { grant_types: ['urn:openid:params:grant-type:ciba'], backchannel_token_delivery_mode: 'poll' }, () => {}],
  ['pairwise on one host', { redirect_uris: [cb, 'https://client.example.org/cb2'], subject_type: 'pairwise' }, (c) => assert.equal(c.subject_type, 'pairwise')],
  ['Janssen claims as a string', { redirect_uris: [cb], claims: 'email name unknown_claim' }, (c) => assert.deepEqual(c.claims, ['email', 'name'])],
  [
    'every OIDC member',
    {
      redirect_uris: [cb],
      client_name: 'All',
      contacts: ['ops@example.org'],
      default_max_age: 3600,
      require_auth_time: true,
      default_acr_values: ['urn:acr:pwd'],
      initiate_login_uri: 'https://client.example.org/login',
      request_uris: ['https://client.example.org/r'],
      post_logout_redirect_uris: ['https://client.example.org/bye'],
      frontchannel_logout_uri: 'https://client.example.org/fl',
      frontchannel_logout_session_required: true,
      backchannel_logout_uri: 'https://client.example.org/bl',
      backchannel_logout_session_required: true,
      userinfo_signed_response_alg: 'ES256',
      request_object_signing_alg: 'PS256',
      jwks_uri: 'https://client.example.org/jwks',
      authorization_signed_response_alg: 'RS256',
      software_id: 'sw-1',
      software_version: '1.0',
      dpop_bound_access_tokens: true,
      require_pushed_authorization_requests: true,
      access_token_as_jwt: true,
      access_token_signing_alg: 'RS256',
      additional_audience: ['https://api.example.org'],
      authorized_origins: ['https://client.example.org'],
    },
    (c) => {
      assert.equal(c.default_max_age, 3600);
      assert.deepEqual(c.post_logout_redirect_uris, ['https://client.example.org/bye']);
      assert.equal(c.access_token_signing_alg, 'RS256');
    },
  ],
];

describe('client metadata rules', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  for (const [name, metadata, error, pattern] of REFUSED) {
    it(`refuses: ${name}`, async () => {
      assertError(await server.register(metadata), 400, error, pattern);
    });
  }

  for (const [name, metadata, check] of ACCEPTED) {
    it(`accepts: ${name}`, async () => {
      const response = await server.register(metadata);
      assert.equal(response.status, 201, response.text);
      check(response.json);
    });
  }

  it('accepts real public keys of each family and refuses private ones', async () => {
    const publicKeys = [];
    for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(publicKey);
      publicKeys.push({ ...jwk, kid: alg, use: 'sig' });
      const leaked = await exportJWK(privateKey);
      assertError(await server.register({ redirect_uris: [cb], jwks: { keys: [leaked] } }), 400, 'invalid_client_metadata', /private/);
    }
    const response = await server.register({
      redirect_uris: [cb],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'PS256',
      jwks: { keys: publicKeys },
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.json.jwks.keys.length, 5);
    assert.equal(response.json.client_secret, undefined);
  });
});

describe('metadata rules follow the configuration', () => {
  it('enforces exactly the lists the operator configured, and discovery shows them', async () => {
    const server = await startServer({
      properties: {
        tokenEndpointAuthMethodsSupported: ['private_key_jwt', 'client_secret_basic'],
        idTokenSigningAlgValuesSupported: ['PS256', 'RS256'],
        subjectTypesSupported: ['public'],
        responseTypesSupported: ['code'],
        acrValuesSupported: ['loa2'],
      },
    });
    try {
      assertError(await server.register({ redirect_uris: [cb], token_endpoint_auth_method: 'none' }), 400, 'invalid_client_metadata');
      assertError(await server.register({ redirect_uris: [cb], id_token_signed_response_alg: 'ES256' }), 400, 'invalid_client_metadata');
      assertError(await server.register({ redirect_uris: [cb], subject_type: 'pairwise' }), 400, 'invalid_client_metadata');
      assertError(await server.register({ redirect_uris: [cb], response_types: ['code id_token'] }), 400, 'invalid_client_metadata');
      assertError(await server.register({ redirect_uris: [cb], default_acr_values: ['loa9'] }), 400, 'invalid_client_metadata', /loa9/);
      assert.equal((await server.register({ redirect_uris: [cb], id_token_signed_response_alg: 'PS256', default_acr_values: ['loa2'] })).status, 201);
      const discovery = (await server.request('GET', '/.well-known/openid-configuration')).json;
      assert.deepEqual(discovery.token_endpoint_auth_methods_supported, ['private_key_jwt', 'client_secret_basic']);
      assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['PS256', 'RS256']);
      assert.deepEqual(discovery.subject_types_supported, ['public']);
      assert.deepEqual(discovery.response_types_supported, ['code']);
      assert.deepEqual(discovery.acr_values_supported, ['loa2']);
    } finally {
      await server.close();
    }
  });

  it('accepts none as an algorithm only when rejectJwtWithNoneAlg is false and the operator lists it', async () => {
    const server = await startServer({
      properties: { rejectJwtWithNoneAlg: false, idTokenSigningAlgValuesSupported: ['RS256', 'none'] },
    });
    try {
      assert.equal((await server.register({ redirect_uris: [cb], id_token_signed_response_alg: 'none' })).status, 201);
      const discovery = (await server.request('GET', '/.well-known/openid-configuration')).json;
      assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256', 'none']);
    } finally {
      await server.close();
    }
  });
});
