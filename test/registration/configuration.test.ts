// Janssen configuration properties that shape registration, each through a real server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, WEB_CLIENT, withServer } from '../helpers/server.ts';


const pathOf = (client: any) => new URL(client.registration_client_uri).pathname;

describe('configuration properties', () => {
  it('dynamicRegistrationEnabled: false refuses registration with 403 access_denied', async () => {
    await withServer({ dynamicRegistrationEnabled: false }, async (server) => {
      assertError(await server.register(WEB_CLIENT), 403, 'access_denied');
      assertError(await server.request('POST', '/jans-auth/restv1/register', { json: WEB_CLIENT }), 403, 'access_denied');
    });
  });

  it('dynamicRegistrationExpirationTime expires clients: refused at once, then purged', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    await withServer(
      { dynamicRegistrationExpirationTime: 3600 },
      async (server) => {
        const client = (await server.register(WEB_CLIENT)).json;
        assert.equal(client.client_secret_expires_at, now / 1000 + 3600);
        assert.equal((await server.request('GET', pathOf(client), { token: client.registration_access_token })).status, 200);
        now += 3600 * 1000;
        assertError(await server.request('GET', pathOf(client), { token: client.registration_access_token }), 401, 'invalid_token');
        assert.equal(await server.registrar.store.clients.purgeExpired(now), 1);
      },
      () => now,
    );
  });

  for (const never of [0, -1]) {
    it(`dynamicRegistrationExpirationTime ${never} means never`, async () => {
      await withServer({ dynamicRegistrationExpirationTime: never }, async (server) => {
        const client = (await server.register(WEB_CLIENT)).json;
        assert.equal(client.client_secret_expires_at, 0);
      });
    });
  }

  it('lifetime sets the expiry, capped by the server lifetime, and is not echoed', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    await withServer({}, async (server) => {
      const client = (await server.register({ ...WEB_CLIENT, lifetime: 600 })).json;
      assert.equal(client.client_secret_expires_at, now / 1000 + 600);
      assert.equal(client.lifetime, undefined);
    }, () => now);
    await withServer({ dynamicRegistrationExpirationTime: 300 }, async (server) => {
      const client = (await server.register({ ...WEB_CLIENT, lifetime: 600 })).json;
      assert.equal(client.client_secret_expires_at, now / 1000 + 300);
    }, () => now);
  });

  it('dcrForbidExpirationTimeInRequest refuses lifetime', async () => {
    await withServer({ dcrForbidExpirationTimeInRequest: true }, async (server) => {
      assertError(await server.register({ ...WEB_CLIENT, lifetime: 60 }), 400, 'invalid_client_metadata', /lifetime/);
      assert.equal((await server.register(WEB_CLIENT)).status, 201);
    });
  });

  it('dynamicRegistrationScopesParamEnabled honours known requested scopes, else gives the defaults', async () => {
    await withServer({ dynamicRegistrationDefaultScopes: ['openid', 'profile'] }, async (server) => {
      assert.equal((await server.register({ ...WEB_CLIENT, scope: 'openid email unknown email' })).json.scope, 'openid email');
      assert.equal((await server.register({ ...WEB_CLIENT, scope: 'unknown' })).json.scope, 'openid profile');
      assert.equal((await server.register(WEB_CLIENT)).json.scope, 'openid profile');
    });
    await withServer({ dynamicRegistrationScopesParamEnabled: false }, async (server) => {
      assert.equal((await server.register({ ...WEB_CLIENT, scope: 'openid email' })).json.scope, 'openid');
    });
  });

  it('dynamicRegistrationPasswordGrantTypeEnabled allows the password grant', async () => {
    const request = { grant_types: ['password'], response_types: [] };
    await withServer({}, async (server) => assertError(await server.register(request), 400, 'invalid_client_metadata', /password/));
    await withServer({ dynamicRegistrationPasswordGrantTypeEnabled: true }, async (server) => {
      const response = await server.register(request);
      assert.equal(response.status, 201, response.text);
      assert.deepEqual(response.json.grant_types, ['password']);
    });
  });

  it('grantTypesSupportedByDynamicRegistration limits grant types', async () => {
    await withServer({ grantTypesSupportedByDynamicRegistration: ['authorization_code', 'refresh_token'] }, async (server) => {
      assertError(await server.register({ grant_types: ['client_credentials'] }), 400, 'invalid_client_metadata', /dynamically registered/);
      assert.equal((await server.register({ ...WEB_CLIENT, grant_types: ['authorization_code', 'refresh_token'] })).status, 201);
    });
  });

  it('dynamicRegistrationPersistClientAuthorizations sets persist_client_authorizations', async () => {
    await withServer({ dynamicRegistrationPersistClientAuthorizations: false }, async (server) => {
      assert.equal((await server.register(WEB_CLIENT)).json.persist_client_authorizations, false);
    });
    await withServer({}, async (server) => {
      assert.equal((await server.register(WEB_CLIENT)).json.persist_client_authorizations, true);
    });
  });

  it('trustedClientEnabled never lets a client declare itself trusted', async () => {
    for (const trustedClientEnabled of [false, true]) {
      await withServer({ trustedClientEnabled }, async (server) => {
        assert.equal((await server.register({ ...WEB_CLIENT, trusted_client: true })).json.trusted_client, false);
      });
    }
  });

  it('grantTypesAndResponseTypesAutofixEnabled adds the grant types the response types imply', async () => {
    const hybrid = { ...WEB_CLIENT, grant_types: ['authorization_code'], response_types: ['code id_token'] };
    await withServer({}, async (server) => assertError(await server.register(hybrid), 400, 'invalid_client_metadata', /implicit/));
    await withServer({ grantTypesAndResponseTypesAutofixEnabled: true }, async (server) => {
      assert.deepEqual((await server.register(hybrid)).json.grant_types, ['authorization_code', 'implicit']);
    });
  });

  it('registrationRequestMaxBytes sets the body cap', async () => {
    await withServer({ registrationRequestMaxBytes: 2048 }, async (server) => {
      assertError(await server.register({ ...WEB_CLIENT, client_name: 'x'.repeat(3000) }), 413, 'invalid_request');
      assert.equal((await server.register({ ...WEB_CLIENT, client_name: 'x'.repeat(1000) })).status, 201);
    });
  });
});
