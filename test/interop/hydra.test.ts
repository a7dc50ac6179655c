// Client libraries that others wrote, from discovery to a token, with Registrar in front of Ory
// Hydra in the topology docs/authorization-servers.md recommends: one public origin (nginx), the
// registration paths and discovery routed to Registrar, everything else to Hydra, one issuer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { available, startHydra, type Hydra } from '../helpers/authorizationServers.ts';
import { clientLibraryTests, openidClient, type Topology } from '../helpers/clientLibraries.ts';
import { nginxAvailable, onPublicPort, startProxy, type Proxy } from '../helpers/proxy.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { signInAtHydra } from '../helpers/signIn.ts';

const skip = !available('hydra') ? 'no Hydra: run bash .ci/hydra.sh' : !nginxAvailable() ? 'no nginx' : false;

describe('client libraries at Ory Hydra behind one origin with Registrar', { skip }, () => {
  let hydra: Hydra;
  let registrar: ScriptServer;
  let proxy: Proxy;
  let topology: Topology;
  const userinfo = () => ({ userinfoEndpoint: `${proxy.origin}/userinfo`, scopes: ['openid'] });

  before(async () => {
    ({ hydra, registrar, proxy } = await onPublicPort(async (port) => {
      const origin = `http://127.0.0.1:${port}`;
      const hydra = await startHydra({ issuer: origin });
      const registrar = await startAdminServer({
        env: { DCR_ISSUER: origin },
        properties: { authorizationServer: { type: 'hydra', adminUrl: hydra.adminUrl, issuer: origin, metadataUrl: `${hydra.publicUrl}/.well-known/openid-configuration` }, authorizationServerSyncIntervalSeconds: 0 },
      });
      const proxy = await startProxy(port, () => [
        { location: '= /.well-known/openid-configuration', to: `${registrar.url}/.well-known/openid-configuration` },
        { location: '= /.well-known/oauth-authorization-server', to: `${registrar.url}/.well-known/oauth-authorization-server` },
        { location: '^~ /register', to: `${registrar.url}/register` },
        { location: '/', to: hydra.publicUrl },
      ]).catch(async (err: unknown) => {
        await registrar.close();
        await hydra.close();
        throw err;
      });
      return { hydra, registrar, proxy };
    }));
    topology = { issuer: proxy.origin, signIn: signInAtHydra(hydra.adminUrl), scope: 'offline' };
  });
  after(async () => {
    await proxy?.close();
    await registrar?.close();
    await hydra?.close();
  });

  test('one issuer: discovery at the public origin names it, with Hydra\'s endpoints and Registrar\'s registration endpoint', async () => {
    const document = (await (await fetch(`${proxy.origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(document.issuer, proxy.origin);
    assert.equal(document.token_endpoint, `${proxy.origin}/oauth2/token`);
    assert.equal(document.registration_endpoint, `${proxy.origin}/register`);
    const status = (await registrar.request('GET', '/admin/authorization-server', { token: await adminToken(registrar.url) })).json;
    assert.deepEqual(status.topology, { kind: 'shared-issuer', issuer: proxy.origin });
  });

  test('the libraries check the issuer: started anywhere but the issuer, they refuse the document', async () => {
    // Registrar's own address serves the same document, under the public issuer: not the URL discovery started from.
    await assert.rejects(openidClient({ ...topology, issuer: registrar.url }), (err: Error & { code?: string }) => err.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });

  clientLibraryTests(() => ({ topology, resource: userinfo() }), {
    // No scopes in the resource's metadata: the SDK asks for every scope discovery advertises, Hydra's own
    // (offline) among them, and Hydra grants them, since registration dropped none of them.
    resource: (resource) => ({ ...resource, scopes: undefined }),
    check: (result) => {
      const granted = String(result.scope).split(' ');
      for (const scope of ['openid', 'offline', 'offline_access']) assert.ok(granted.includes(scope), String(result.scope));
    },
  });
});
