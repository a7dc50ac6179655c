// Real authorization servers for the end-to-end suites: Ory Hydra (built by .ci/hydra.sh) and
// Keycloak (fetched by .ci/keycloak.sh), each started once per suite on ephemeral loopback ports
// with in-memory storage. Without them the suites skip, except under CI, where they fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort, tempDir } from './server.ts';

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

async function waitFor(url: string, deadlineMs: number, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${output().slice(-2000)}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${deadlineMs} ms: ${output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Process {
  /** The server process's id while it runs (benchmarks read its CPU time). */
  pid(): number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function supervised(command: string, args: string[], env: Record<string, string>, ready: string, deadlineMs: number, cwd?: string): Process {
  let child: ChildProcess | undefined;
  let output = '';
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const forced = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(forced);
  };
  return {
    pid: () => child?.pid,
    async start() {
      output = '';
      child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const running = child;
      await waitFor(ready, deadlineMs, running, () => output);
    },
    stop,
    close: stop,
  };
}

export interface Hydra {
  issuer: string;
  adminUrl: string;
  pid(): number | undefined;
  /** Stop and start the process (same ports; memory storage: clients are lost). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startHydra(): Promise<Hydra> {
  const binary = hydraBinary();
  if (!binary) throw new Error('no Hydra: run bash .ci/hydra.sh');
  const [publicPort, adminPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${publicPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const server = supervised(
    binary,
    ['serve', 'all', '--dev'],
    {
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
    },
    `${adminUrl}/health/ready`,
    60_000,
  );
  await server.start();
  return { issuer, adminUrl, ...server };
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

export async function startKeycloak(): Promise<Keycloak> {
  const home = keycloakHome();
  if (!home) throw new Error('no Keycloak: run bash .ci/keycloak.sh');
  const [port, management] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const adminUsername = 'admin';
  const adminPassword = 'admin-password-0123';
  const work = tempDir('registrar-keycloak-');
  const server = supervised(
    join(home, 'bin', 'kc.sh'),
    ['start-dev', `--http-port=${port}`, '--http-host=127.0.0.1', `--http-management-port=${management}`, '--db=dev-mem', '--log-level=warn'],
    { KC_BOOTSTRAP_ADMIN_USERNAME: adminUsername, KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword, JAVA_OPTS_APPEND: `-Djava.io.tmpdir=${work}` },
    `${url}/realms/master/.well-known/openid-configuration`,
    180_000,
  );
  await server.start();
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
      await server.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
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
