// Client libraries that others wrote, from discovery to a token, with node-oidc-provider reading
// Registrar's store (registrar/oidc-provider) in the topology docs/authorization-servers.md gives
// for it: clients discover at the provider's issuer, whose discovery names Registrar's registration
// endpoint (the provider's `discovery` option), and get their tokens from the provider.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { registrarAdapter } from '../../core/authorization/oidcProviderAdapter.ts';
import { adminToken, startAdminServer } from '../helpers/admin.ts';
import { clientLibraryTests, type Topology } from '../helpers/clientLibraries.ts';
import type { ScriptServer } from '../helpers/scripts.ts';
import { freePort } from '../helpers/server.ts';
import { signInAtProvider } from '../helpers/signIn.ts';

/** The scope an MCP resource asks for: the provider and Registrar both know it. */
const MCP_SCOPE = 'mcp:tools';

describe('client libraries at node-oidc-provider, whose discovery names Registrar', () => {
  let registrar: ScriptServer;
  let adapter: ReturnType<typeof registrarAdapter>;
  let provider: Server;
  let issuer: string;
  let topology: Topology;
  // MCP clients name the resource (RFC 8707): the provider issues it JWT access tokens, checked with the provider's keys.
  const resource = () => {
    const keys = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    return {
      scopes: ['openid', MCP_SCOPE],
      accepts: async (token: string, audience: string) => jwtVerify(token, keys, { issuer, audience }).then(() => true, () => false),
    };
  };

  before(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    registrar = await startAdminServer({
      properties: { authorizationServer: { type: 'oidc-provider', issuer }, scopesSupported: ['openid', 'profile', 'email', 'offline_access', MCP_SCOPE] },
    });
    adapter = registrarAdapter({ dataDir: registrar.dataDir });
    const oidc = new Provider(issuer, {
      adapter,
      discovery: { registration_endpoint: `${registrar.url}/register` },
      scopes: ['openid', 'offline_access', 'profile', 'email', MCP_SCOPE],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          getResourceServerInfo: (_ctx, indicator) => ({ scope: MCP_SCOPE, audience: indicator, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
        },
      },
    });
    provider = oidc.listen(port, '127.0.0.1');
    await new Promise((resolve) => provider.once('listening', resolve));
    await registrar.registrar.services.authorizationServer.refreshMetadata();
    topology = { issuer, signIn: signInAtProvider(), scope: undefined };
  });
  after(async () => {
    await new Promise((resolve) => provider?.close(resolve));
    await adapter?.close();
    await registrar?.close();
  });

  test("the provider's discovery names Registrar's registration endpoint; Registrar sees the topology", async () => {
    const document = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(document.issuer, issuer);
    assert.equal(document.registration_endpoint, `${registrar.url}/register`);
    const status = (await registrar.request('GET', '/admin/authorization-server', { token: await adminToken(registrar.url) })).json;
    assert.deepEqual(status.topology, { kind: 'server-discovery', issuer }, JSON.stringify(status));
  });

  clientLibraryTests(() => ({ topology, resource: resource() }));
});
