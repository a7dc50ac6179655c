import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from './helpers/server.ts';

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
