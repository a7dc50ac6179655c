import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import { assertError, freePort, startServer, type TestServer } from '../helpers/server.ts';

describe('discovery', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('serves the same document at both well-known paths', async () => {
    const oidc = await server.request('GET', '/.well-known/openid-configuration');
    const oauth = await server.request('GET', '/.well-known/oauth-authorization-server');
    assert.equal(oidc.status, 200);
    assert.deepEqual(oidc.json, oauth.json);
    assert.equal(oidc.json.issuer, server.url);
    assert.equal(oidc.json.registration_endpoint, `${server.url}/register`);
    for (const member of [
      'response_types_supported',
      'grant_types_supported',
      'subject_types_supported',
      'token_endpoint_auth_methods_supported',
      'token_endpoint_auth_signing_alg_values_supported',
      'id_token_signing_alg_values_supported',
      'request_object_signing_alg_values_supported',
      'scopes_supported',
    ]) {
      assert.ok(Array.isArray(oidc.json[member]) && oidc.json[member].length > 0, member);
    }
    assert.ok(!oidc.json.id_token_signing_alg_values_supported.includes('none'));
  });

  it('registers against the advertised endpoint', async () => {
    const { registration_endpoint } = (await server.request('GET', '/.well-known/openid-configuration')).json;
    const response = await fetch(registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://client.example.org/cb'] }),
    });
    assert.equal(response.status, 201);
  });
});

describe('discovery without an authorization server connected', () => {
  it('publishes the Janssen-named endpoint properties when set, and none of those members otherwise', async () => {
    const endpoints = {
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
      jwksUri: 'https://as.example.com/jwks',
      userInfoEndpoint: 'https://as.example.com/userinfo',
      endSessionEndpoint: 'https://as.example.com/logout',
      revocationEndpoint: 'https://as.example.com/revoke',
      introspectionEndpoint: 'https://as.example.com/introspect',
    };
    const server = await startServer({ properties: endpoints });
    const bare = await startServer();
    try {
      const document = (await server.request('GET', '/.well-known/oauth-authorization-server')).json;
      assert.equal(document.authorization_endpoint, endpoints.authorizationEndpoint);
      assert.equal(document.token_endpoint, endpoints.tokenEndpoint);
      assert.equal(document.jwks_uri, endpoints.jwksUri);
      assert.equal(document.userinfo_endpoint, endpoints.userInfoEndpoint);
      assert.equal(document.end_session_endpoint, endpoints.endSessionEndpoint);
      assert.equal(document.revocation_endpoint, endpoints.revocationEndpoint);
      assert.equal(document.introspection_endpoint, endpoints.introspectionEndpoint);
      assert.equal(document.issuer, server.url);
      const plain = (await bare.request('GET', '/.well-known/oauth-authorization-server')).json;
      for (const member of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) assert.equal(plain[member], undefined, member);
    } finally {
      await server.close();
      await bare.close();
    }
  });
});

describe('discovery with an authorization server connected (node-oidc-provider, its discovery naming Registrar)', () => {
  it('answers 503 until the server\'s document is read, then the last good one through an outage', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const registrar = await startServer({ properties: { authorizationServer: { type: 'oidc-provider', issuer } } });
    let provider: Server | undefined;
    try {
      // The provider is not up yet: nothing to narrow the lists with, nothing to register against.
      const early = await registrar.request('GET', '/.well-known/openid-configuration');
      assertError(early, 503, 'temporarily_unavailable');
      assert.equal(early.headers.get('retry-after'), '5');
      assertError(await registrar.register({ redirect_uris: ['https://client.example.org/cb'] }), 503, 'temporarily_unavailable');
      const waiting = await registrar.request('GET', '/health/ready');
      assert.equal(waiting.status, 503);

      provider = new Provider(issuer, { discovery: { registration_endpoint: `${registrar.url}/register` }, clientAuthMethods: ['client_secret_basic', 'none'] }).listen(port, '127.0.0.1');
      await new Promise((resolve) => provider!.once('listening', resolve));
      // As the reconciler does on each run (requests do too, at most once a second while none was read).
      await registrar.registrar.services.authorizationServer.refreshMetadata();
      const document = (await registrar.request('GET', '/.well-known/openid-configuration')).json;
      assert.equal(document.issuer, registrar.url);
      assert.deepEqual(document.token_endpoint_auth_methods_supported, ['client_secret_basic', 'none']);
      assert.equal((await registrar.request('GET', '/health/ready')).status, 200);
      assertError(await registrar.register({ redirect_uris: ['https://client.example.org/cb'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://client.example.org/jwks' }), 400, 'invalid_client_metadata', /private_key_jwt/);

      await new Promise((resolve) => provider!.close(resolve));
      provider = undefined;
      const during = await registrar.request('GET', '/.well-known/openid-configuration');
      assert.equal(during.status, 200);
      assert.deepEqual(during.json, document);
    } finally {
      await new Promise((resolve) => (provider ? provider.close(resolve) : resolve(undefined)));
      await registrar.close();
    }
  });

  it('without a server, what a server would narrow registers as configured', async () => {
    const server = await startServer();
    try {
      for (const request of [
        { grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_jwt' },
        { grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [] },
        { redirect_uris: ['https://client.example.org/cb'], subject_type: 'pairwise' },
      ]) {
        const registered = await server.register(request);
        assert.equal(registered.status, 201, registered.text);
      }
    } finally {
      await server.close();
    }
  });
});
