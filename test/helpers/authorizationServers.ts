// Real authorization servers for the end-to-end suites: Ory Hydra (built by .ci/hydra.sh) and
// Keycloak (fetched by .ci/keycloak.sh), each started once per suite on ephemeral loopback ports
// with in-memory storage. Without them the suites skip, except under CI, where they fail.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { answers, onFreshPorts, supervised } from './processes.ts';
import { freePort, tempDir, type TestServer } from './server.ts';

const cache = () => process.env.REGISTRAR_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'registrar');

export function hydraBinary(): string | undefined {
  const candidate = process.env.REGISTRAR_HYDRA ?? join(cache(), `hydra-${process.env.HYDRA_VERSION ?? 'v2.3.0'}`, 'hydra');
  return existsSync(candidate) ? candidate : undefined;
}

export function keycloakHome(): string | undefined {
  const candidate = process.env.REGISTRAR_KEYCLOAK ?? join(cache(), `keycloak-${process.env.KEYCLOAK_VERSION ?? '26.7.3'}`);
  return existsSync(join(candidate, 'bin', 'kc.sh')) ? candidate : undefined;
}

/** True when the server can be had; under CI its absence is an error. */
export function available(what: 'hydra' | 'keycloak'): boolean {
  const found = what === 'hydra' ? hydraBinary() : keycloakHome();
  if (!found && process.env.CI) throw new Error(`CI: no ${what}: run bash .ci/${what}.sh`);
  return Boolean(found);
}

export interface Hydra {
  issuer: string;
  /** Its public API as reached directly (the issuer, unless a proxy's origin was given). */
  publicUrl: string;
  adminUrl: string;
  pid(): number | undefined;
  /** Stop and start the process (same ports; memory storage: clients are lost). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface HydraOptions {
  /** Its issuer when it is served behind a proxy's public origin (URLS_SELF_ISSUER); default: its own public port. */
  issuer?: string;
  /** The registration endpoint its discovery names (WEBFINGER_OIDC_DISCOVERY_CLIENT_REGISTRATION_URL). */
  registrationEndpoint?: string;
  /** More of Hydra's configuration, as environment variables (its tracing, say). */
  env?: Record<string, string>;
}

export const startHydra = (options: HydraOptions = {}): Promise<Hydra> => onFreshPorts(() => startHydraOnce(options));

async function startHydraOnce(options: HydraOptions): Promise<Hydra> {
  const binary = hydraBinary();
  if (!binary) throw new Error('no Hydra: run bash .ci/hydra.sh');
  const [publicPort, adminPort] = [await freePort(), await freePort()];
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  const issuer = options.issuer ?? publicUrl;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const server = supervised({
    command: binary,
    args: ['serve', 'all', '--dev'],
    env: {
      DSN: 'memory',
      SECRETS_SYSTEM: 'registrar-test-system-secret-0123456789',
      SERVE_PUBLIC_HOST: '127.0.0.1',
      SERVE_PUBLIC_PORT: String(publicPort),
      SERVE_ADMIN_HOST: '127.0.0.1',
      SERVE_ADMIN_PORT: String(adminPort),
      URLS_SELF_ISSUER: issuer,
      URLS_LOGIN: `${issuer}/test-login`,
      URLS_CONSENT: `${issuer}/test-consent`,
      LOG_LEVEL: 'error',
      SQA_OPT_OUT: 'true',
      ...(options.registrationEndpoint ? { WEBFINGER_OIDC_DISCOVERY_CLIENT_REGISTRATION_URL: options.registrationEndpoint } : {}),
      ...options.env,
    },
    ready: answers(`${adminUrl}/health/ready`),
    deadlineMs: 60_000,
  });
  await server.start();
  return { issuer, publicUrl, adminUrl, ...server, close: server.stop };
}

export interface Keycloak {
  url: string;
  adminUsername: string;
  adminPassword: string;
  /** A token of the master realm's administrator. */
  adminToken(): Promise<string>;
  /** An admin API call as the master administrator. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  pid(): number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface KeycloakOptions {
  /** The public origin it is served under behind a proxy (--hostname): its issuers and pages name it. */
  hostname?: string;
  /** Keep its database in a file (H2, in its scratch folder) instead of memory: what the benchmarks compare against. */
  durable?: boolean;
}

export const startKeycloak = (options: KeycloakOptions = {}): Promise<Keycloak> => onFreshPorts(() => startKeycloakOnce(options));

async function startKeycloakOnce(options: KeycloakOptions): Promise<Keycloak> {
  const home = keycloakHome();
  if (!home) throw new Error('no Keycloak: run bash .ci/keycloak.sh');
  const [port, management] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const adminUsername = 'admin';
  const adminPassword = 'admin-password-0123';
  const work = tempDir('registrar-keycloak-');
  const server = supervised({
    command: join(home, 'bin', 'kc.sh'),
    args: [
      'start-dev',
      `--http-port=${port}`,
      '--http-host=127.0.0.1',
      `--http-management-port=${management}`,
      ...(options.durable ? ['--db=dev-file', `--db-url=jdbc:h2:file:${join(work, 'keycloakdb')};NON_KEYWORDS=VALUE`] : ['--db=dev-mem']),
      '--log-level=warn',
      // Behind a proxy: every URL it makes names the public origin; its own admin API stays reachable here.
      ...(options.hostname ? [`--hostname=${options.hostname}`] : []),
    ],
    env: { KC_BOOTSTRAP_ADMIN_USERNAME: adminUsername, KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword, JAVA_OPTS_APPEND: `-Djava.io.tmpdir=${work}` },
    ready: answers(`${url}/realms/master/.well-known/openid-configuration`),
    deadlineMs: 180_000,
  });
  await server.start().catch((err: unknown) => {
    rmSync(work, { recursive: true, force: true });
    throw err;
  });
  const adminToken = async () => {
    const response = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: adminUsername, password: adminPassword }).toString(),
    });
    const body = (await response.json()) as { access_token: string };
    return body.access_token;
  };
  return {
    url,
    adminUsername,
    adminPassword,
    adminToken,
    async admin(method, path, body) {
      return fetch(`${url}/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${await adminToken()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    ...server,
    async close() {
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The realm the Keycloak suites use: a service-account client allowed to manage its clients, and a user who can sign in. */
export const KEYCLOAK_REALM = {
  realm: 'demo',
  serviceAccount: { id: 'registrar-admin', secret: 'registrar-admin-secret-0123456789' },
  user: { username: 'alice', password: 'alice-password-0123' },
} as const;
const { realm: REALM, serviceAccount: SERVICE_ACCOUNT, user: USER } = KEYCLOAK_REALM;

/** An admin API answer that must be 2xx, its JSON body. */
export async function keycloakOk(response: Promise<Response>, what: string): Promise<any> {
  const answer = await response;
  const text = await answer.text();
  assert.ok(answer.ok, `${what}: ${answer.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Creates KEYCLOAK_REALM. */
export async function prepareKeycloakRealm(keycloak: Keycloak): Promise<void> {
  await keycloakOk(keycloak.admin('POST', '/realms', { realm: REALM, enabled: true }), 'realm');
  await keycloakOk(
    keycloak.admin('POST', `/realms/${REALM}/clients`, { clientId: SERVICE_ACCOUNT.id, secret: SERVICE_ACCOUNT.secret, serviceAccountsEnabled: true, publicClient: false, standardFlowEnabled: false }),
    'service-account client',
  );
  const [client] = await keycloakOk(keycloak.admin('GET', `/realms/${REALM}/clients?clientId=${SERVICE_ACCOUNT.id}`), 'find client');
  const user = await keycloakOk(keycloak.admin('GET', `/realms/${REALM}/clients/${client.id}/service-account-user`), 'service account user');
  const [management] = await keycloakOk(keycloak.admin('GET', `/realms/${REALM}/clients?clientId=realm-management`), 'realm-management');
  const roles = await Promise.all(['manage-clients', 'view-clients'].map((role) => keycloakOk(keycloak.admin('GET', `/realms/${REALM}/clients/${management.id}/roles/${role}`), role)));
  await keycloakOk(keycloak.admin('POST', `/realms/${REALM}/users/${user.id}/role-mappings/clients/${management.id}`, roles), 'role mapping');
  await keycloakOk(
    keycloak.admin('POST', `/realms/${REALM}/users`, {
      username: USER.username,
      enabled: true,
      email: 'alice@example.com',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Example',
      credentials: [{ type: 'password', value: USER.password, temporary: false }],
    }),
    'user',
  );
}

/** A client_credentials token request with HTTP Basic client authentication. */
export async function clientCredentials(tokenEndpoint: string, clientId: string, secret: string, scope?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * A client_credentials client through its life at Registrar (secret rotation, disable, enable,
 * RFC 7592 DELETE); the server's token endpoint follows each step in the same request. `checks`
 * add what the server's own API shows after disabling and deleting.
 */
export async function followsLifecycle(
  registrar: TestServer,
  admin: string,
  tokenEndpoint: string,
  checks: { disabled?(clientId: string): Promise<void>; deleted?(clientId: string): Promise<void> } = {},
): Promise<void> {
  const registered = await registrar.register({ grant_types: ['client_credentials'], response_types: [] });
  assert.equal(registered.status, 201, registered.text);
  const { client_id: clientId, client_secret: oldSecret, registration_access_token: token } = registered.json;
  assert.equal((await clientCredentials(tokenEndpoint, clientId, oldSecret)).status, 200);
  const rotated = await registrar.request('POST', `/admin/clients/${clientId}/secret`, { token: admin });
  assert.equal(rotated.status, 200, rotated.text);
  const secret = rotated.json.clientSecret;
  assert.equal((await clientCredentials(tokenEndpoint, clientId, oldSecret)).status, 401);
  assert.equal((await clientCredentials(tokenEndpoint, clientId, secret)).status, 200);

  assert.equal((await registrar.request('POST', `/admin/clients/${clientId}/disable`, { token: admin })).status, 200);
  assert.notEqual((await clientCredentials(tokenEndpoint, clientId, secret)).status, 200);
  await checks.disabled?.(clientId);
  assert.equal((await registrar.request('POST', `/admin/clients/${clientId}/enable`, { token: admin })).status, 200);
  assert.equal((await clientCredentials(tokenEndpoint, clientId, secret)).status, 200);

  assert.equal((await registrar.request('DELETE', `/register/${clientId}`, { token })).status, 204);
  assert.equal((await clientCredentials(tokenEndpoint, clientId, secret)).status, 401);
  await checks.deleted?.(clientId);
}
