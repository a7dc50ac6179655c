// Client libraries that others wrote, from discovery to a token, with Registrar in front of
// Keycloak in the topology docs/authorization-servers.md gives for it: one public origin (nginx),
// the realm's discovery and a registration path under the realm routed to Registrar, Keycloak's
// own registration endpoint closed, everything else to Keycloak, which names the public origin
// (--hostname). Keycloak cannot name another registration endpoint in its discovery, so this is
// the one topology that gives its clients one issuer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { available, KEYCLOAK_REALM, prepareKeycloakRealm, startKeycloak, type Keycloak } from '../helpers/authorizationServers.ts';
import { clientLibraryTests, type Topology } from '../helpers/clientLibraries.ts';
import { nginxAvailable, onPublicPort, startProxy, type Proxy, type Route } from '../helpers/proxy.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { signInAtKeycloak } from '../helpers/signIn.ts';

const skip = !available('keycloak') ? 'no Keycloak: run bash .ci/keycloak.sh' : !nginxAvailable() ? 'no nginx' : false;
const { realm, serviceAccount, user } = KEYCLOAK_REALM;

/** The shared origin's routes: Registrar answers for the realm's discovery and its registration path. */
export function keycloakRoutes(registrar: string, keycloak: string): Route[] {
  return [
    { location: `= /realms/${realm}/.well-known/openid-configuration`, to: `${registrar}/.well-known/openid-configuration` },
    { location: `= /.well-known/oauth-authorization-server/realms/${realm}`, to: `${registrar}/.well-known/oauth-authorization-server` },
    { location: `= /realms/${realm}/register`, to: `${registrar}/register` },
    { location: `^~ /realms/${realm}/register/`, to: `${registrar}/register/` },
    // Anonymous registration at Keycloak itself would pass around Registrar's policy.
    { location: `^~ /realms/${realm}/clients-registrations/`, status: 403 },
    { location: '/', to: keycloak },
  ];
}

describe('client libraries at Keycloak behind one origin with Registrar', { skip }, () => {
  let keycloak: Keycloak;
  let registrar: ScriptServer;
  let proxy: Proxy;
  let topology: Topology;
  let issuer: string;
  const userinfo = () => ({ userinfoEndpoint: `${issuer}/protocol/openid-connect/userinfo`, scopes: ['openid'] });

  before(async () => {
    ({ keycloak, registrar, proxy } = await onPublicPort(async (port) => {
      const origin = `http://127.0.0.1:${port}`;
      const keycloak = await startKeycloak({ hostname: origin });
      let registrar: ScriptServer | undefined;
      try {
        await prepareKeycloakRealm(keycloak);
        registrar = await startAdminServer({
          env: { DCR_ISSUER: `${origin}/realms/${realm}` },
          properties: { authorizationServer: { type: 'keycloak', url: keycloak.url, realm, adminClientId: serviceAccount.id, adminClientSecret: serviceAccount.secret }, authorizationServerSyncIntervalSeconds: 0 },
        });
        const proxy = await startProxy(port, () => keycloakRoutes(registrar!.url, keycloak.url));
        return { keycloak, registrar, proxy };
      } catch (err) {
        await registrar?.close();
        await keycloak.close();
        throw err;
      }
    }));
    issuer = `${proxy.origin}/realms/${realm}`;
    topology = { issuer, signIn: signInAtKeycloak(user), scope: 'profile' };
  });
  after(async () => {
    await proxy?.close();
    await registrar?.close();
    await keycloak?.close();
  });

  test("one issuer: the realm's discovery at the public origin names it, with Keycloak's endpoints and Registrar's registration endpoint", async () => {
    for (const path of [`/realms/${realm}/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server/realms/${realm}`]) {
      const document = (await (await fetch(`${proxy.origin}${path}`)).json()) as Record<string, unknown>;
      assert.equal(document.issuer, issuer, path);
      assert.equal(document.token_endpoint, `${issuer}/protocol/openid-connect/token`);
      assert.equal(document.registration_endpoint, `${issuer}/register`);
    }
    const status = (await registrar.request('GET', '/admin/authorization-server', { token: await adminToken(registrar.url) })).json;
    assert.deepEqual(status.topology, { kind: 'shared-issuer', issuer });
    assert.equal((await fetch(`${issuer}/clients-registrations/openid-connect`, { method: 'POST' })).status, 403);
  });

  clientLibraryTests(() => ({ topology, resource: userinfo() }));
});
