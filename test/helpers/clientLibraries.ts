// Client libraries that others wrote, each taken from discovery to a token the way its own
// documentation shows, with nothing relaxed but plain http on loopback: openid-client 6,
// oauth4webapi 3, the MCP TypeScript SDK, and (through test/interop/clients.py) the Python MCP
// SDK and Authlib. A library refuses a document whose issuer is not the one it discovered at, an
// authorization response from another issuer, and an ID token from another issuer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { startResourceServer, type ResourceOptions } from './resourceServer.ts';
import type { SignIn } from './signIn.ts';

/** Where clients start, and how a user signs in there. */
export interface Topology {
  /** The issuer clients discover at. */
  issuer: string;
  signIn: SignIn;
  /** A scope to ask in a client_credentials grant (and to register); none: the grant asks for none. */
  scope?: string;
}

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** What a registration gave the client: enough for RFC 7592 management afterwards. */
export interface Registered {
  clientId: string;
  registrationClientUri: string;
  registrationAccessToken: string;
}

/** openid-client 6: discovery at the issuer, dynamic registration, client_credentials, and authorization code + PKCE with an ID token. */
export async function openidClient(topology: Topology): Promise<Registered> {
  const issuer = new URL(topology.issuer);
  const config = await openid.dynamicClientRegistration(
    issuer,
    { redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', scope: ['openid', topology.scope].filter(Boolean).join(' ') },
    openid.ClientSecretBasic(),
    { execute: [openid.allowInsecureRequests] },
  );
  assert.equal(config.serverMetadata().issuer, topology.issuer);
  const machine = await openid.clientCredentialsGrant(config, topology.scope ? { scope: topology.scope } : {});
  assert.equal(typeof machine.access_token, 'string');

  const verifier = openid.randomPKCECodeVerifier();
  const state = openid.randomState();
  const nonce = openid.randomNonce();
  const url = openid.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await openid.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await topology.signIn(url.href, REDIRECT_URI);
  const tokens = await openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  assert.equal(tokens.claims()?.iss, topology.issuer);
  const metadata = config.clientMetadata();
  return { clientId: config.clientMetadata().client_id, registrationClientUri: String(metadata.registration_client_uri), registrationAccessToken: String(metadata.registration_access_token) };
}

/** oauth4webapi 3: RFC 8414 discovery (the path-inserted well-known), registration, client_credentials, authorization code + PKCE. */
export async function oauth4webapi(topology: Topology): Promise<void> {
  const issuer = new URL(topology.issuer);
  const insecure = { [oauth.allowInsecureRequests]: true };
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      { redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'client_credentials'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post', scope: ['openid', topology.scope].filter(Boolean).join(' ') },
      insecure,
    ),
  );
  const client: oauth.Client = { client_id: registered.client_id };
  const authentication = oauth.ClientSecretPost(String(registered.client_secret));
  const machine = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, authentication, topology.scope ? { scope: topology.scope } : {}, insecure));
  assert.equal(typeof machine.access_token, 'string');

  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint ?? assert.fail('no authorization_endpoint'));
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }).toString();
  const callback = await topology.signIn(url.href, REDIRECT_URI);
  const parameters = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, authentication, parameters, REDIRECT_URI, verifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
  assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.iss, topology.issuer);
}

/** The MCP TypeScript SDK's auth(): protected-resource metadata naming the issuer, discovery, registration, authorization code + PKCE; the token opens the resource. */
export async function mcpTypescript(topology: Topology, resource: Omit<ResourceOptions, 'issuer'>): Promise<void> {
  const server = await startResourceServer({ issuer: topology.issuer, ...resource });
  try {
    let information: OAuthClientInformationMixed | undefined;
    let tokens: OAuthTokens | undefined;
    let verifier = '';
    let authorizationUrl: URL | undefined;
    const provider: OAuthClientProvider = {
      get redirectUrl() {
        return REDIRECT_URI;
      },
      get clientMetadata(): OAuthClientMetadata {
        return { client_name: 'MCP TypeScript SDK', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
      },
      state: () => 'state-0123456789',
      clientInformation: () => information,
      saveClientInformation: (saved) => void (information = saved),
      tokens: () => tokens,
      saveTokens: (saved) => void (tokens = saved),
      redirectToAuthorization: (url) => void (authorizationUrl = url),
      saveCodeVerifier: (saved) => void (verifier = saved),
      codeVerifier: () => verifier,
    };
    assert.equal(await auth(provider, { serverUrl: server.url }), 'REDIRECT');
    const callback = await topology.signIn(authorizationUrl?.href ?? assert.fail('no authorization URL'), REDIRECT_URI);
    assert.equal(callback.searchParams.get('state'), 'state-0123456789');
    assert.equal(await auth(provider, { serverUrl: server.url, authorizationCode: callback.searchParams.get('code') ?? '' }), 'AUTHORIZED');
    const opened = await fetch(server.url, { headers: { authorization: `Bearer ${tokens?.access_token}` } });
    assert.equal(opened.status, 200, await opened.text());
  } finally {
    await server.close();
  }
}

export function pythonWithClients(): string | undefined {
  const python = process.env.REGISTRAR_PYTHON;
  if (python && existsSync(python)) return python;
  if (process.env.CI) throw new Error('CI: no Python client libraries: run bash .ci/python.sh');
  return undefined;
}

const CLIENTS_PY = join(import.meta.dirname, '..', 'interop', 'clients.py');

/** Runs clients.py; `onLine` answers the lines it writes (the authorization URL) through its stdin. */
async function python(args: string[], onLine?: (message: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>): Promise<Record<string, unknown>> {
  const child = spawn(pythonWithClients() ?? assert.fail('no Python client libraries'), [CLIENTS_PY, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let last: Record<string, unknown> | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as Record<string, unknown>;
    last = message;
    const answer = await onLine?.(message);
    if (answer) child.stdin.write(`${JSON.stringify(answer)}\n`);
  }
  const code = await exited;
  assert.equal(code, 0, `clients.py ${args[0]} exited with ${code}: ${stderr}`);
  return last ?? assert.fail(`clients.py ${args[0]} said nothing: ${stderr}`);
}

/** The Python MCP SDK's OAuthClientProvider: from the resource's 401 to the resource answering with the token. */
export async function mcpPython(topology: Topology, resource: Omit<ResourceOptions, 'issuer'>): Promise<Record<string, unknown>> {
  const server = await startResourceServer({ issuer: topology.issuer, ...resource });
  try {
    const result = await python(['mcp', server.url, REDIRECT_URI], async (message) =>
      typeof message.authorize === 'string' ? { callback: (await topology.signIn(message.authorize, REDIRECT_URI)).href } : undefined,
    );
    assert.equal(result.status, 200, JSON.stringify(result));
    return result;
  } finally {
    await server.close();
  }
}

/** Authlib's OAuth2Session, bearing the registration access token: RFC 7592 read, update and delete. */
export async function authlibManagement(registered: Registered): Promise<void> {
  const result = await python(['authlib', registered.registrationClientUri, registered.registrationAccessToken]);
  const [readStatus, read] = result.read as [number, Record<string, unknown>];
  assert.equal(readStatus, 200, JSON.stringify(result));
  assert.equal(read.client_id, registered.clientId);
  const [updatedStatus, updated] = result.updated as [number, Record<string, unknown>];
  assert.equal(updatedStatus, 200, JSON.stringify(result));
  assert.equal(updated.client_name, 'renamed by Authlib');
  assert.equal(result.deleted, 204);
  assert.equal(result.after, 401);
}

const NO_PYTHON = 'no Python client libraries: run bash .ci/python.sh';

/**
 * The five libraries as tests of the suite that calls this, in order (Authlib manages the client
 * openid-client registered). `setting()` is read when the tests run, after the suite's `before`.
 * `pythonResource` and `afterPython` let a server's suite say what its Python run asks and checks.
 */
export function clientLibraryTests(
  setting: () => { topology: Topology; resource: Omit<ResourceOptions, 'issuer'> },
  python: { resource?: (resource: Omit<ResourceOptions, 'issuer'>) => Omit<ResourceOptions, 'issuer'>; check?: (result: Record<string, unknown>) => void } = {},
): void {
  let registered: Registered;
  test('openid-client 6: discovery, registration, client_credentials, authorization code + PKCE with an ID token', async () => {
    registered = await openidClient(setting().topology);
  });
  test('oauth4webapi 3: RFC 8414 discovery, registration, client_credentials, authorization code + PKCE', async () => {
    await oauth4webapi(setting().topology);
  });
  test('the MCP TypeScript SDK: protected-resource metadata, discovery, registration, authorization, the resource opens', async () => {
    const { topology, resource } = setting();
    await mcpTypescript(topology, resource);
  });
  test("the Python MCP SDK 2: from the resource's 401 to an access token that opens it", { skip: !pythonWithClients() && NO_PYTHON }, async () => {
    const { topology, resource } = setting();
    const result = await mcpPython(topology, python.resource ? python.resource(resource) : resource);
    python.check?.(result);
  });
  test('Authlib manages the client openid-client registered: RFC 7592 read, update, delete', { skip: !pythonWithClients() && NO_PYTHON }, async () => {
    await authlibManagement(registered);
  });
}
