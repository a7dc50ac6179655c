// A real listening Registrar on an ephemeral loopback port with its own temp data directory.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { readSettings } from '../../core/config/index.ts';
import { createRegistrar, type Registrar, type RegistrarOptions } from '../../core/index.ts';
import { sharedDnsServer } from './dns.ts';

export interface TestServer {
  url: string;
  registrar: Registrar;
  dataDir: string;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  register(metadata: Record<string, unknown>): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
  token?: string;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function tempDir(prefix = 'registrar-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function httpRequest(url: string, method: string, options: RequestOptions = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function startServer(
  options: Partial<Omit<RegistrarOptions, 'settings'>> & { dataDir?: string; env?: Record<string, string>; port?: number } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  mkdirSync(join(dataDir, 'scripts'), { recursive: true });
  mkdirSync(join(dataDir, 'plugin-files'), { recursive: true });
  const port = options.port ?? (await freePort());
  const settings = readSettings({
    PORT: String(port),
    DCR_HOST: '127.0.0.1',
    DCR_ISSUER: `http://127.0.0.1:${port}`,
    DCR_DATA_DIR: dataDir,
    DCR_SCRIPTS_DIR: join(dataDir, 'scripts'),
    DCR_PLUGIN_FILES_DIR: join(dataDir, 'plugin-files'),
    // Tests drop scripts and expect them gone at once; the hold has tests of its own.
    DCR_SCRIPTS_HOLD_SECONDS: '0',
    ...options.env,
  });
  // Clients' hosts resolve at this process's DNS server, not the machine's (unless a test names its own).
  const dns = (await sharedDnsServer()).address;
  const properties = options.properties ? { dnsServers: [dns], ...options.properties } : options.properties;
  const registrar = createRegistrar({
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    properties: { dnsServers: [dns] },
    watch: false,
    ...options,
    ...(properties ? { properties } : {}),
    settings,
  });
  await registrar.listen();
  const url = `http://127.0.0.1:${port}`;
  const server: TestServer = {
    url,
    registrar,
    dataDir,
    request: (method, path, requestOptions) => httpRequest(`${url}${path}`, method, requestOptions),
    register: (metadata) => httpRequest(`${url}/register`, 'POST', { json: metadata }),
    async close() {
      await registrar.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Runs `run` against a fresh server with these configuration properties (and clock), then closes it. */
export async function withServer(properties: Record<string, unknown>, run: (server: TestServer) => Promise<void>, clock?: () => number): Promise<void> {
  const server = await startServer(clock ? { properties, clock } : { properties });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

/** Asserts an RFC error response: status, error code, JSON body and no-store headers together. */
export function assertError(response: TestResponse, status: number, error: string, descriptionPattern?: RegExp): void {
  assert.equal(response.status, status, `expected ${status} ${error}, got ${response.status} ${response.text}`);
  assert.equal(response.json?.error, error, `expected error ${error}, got ${response.text}`);
  assert.equal(typeof response.json.error_description, 'string');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('pragma'), 'no-cache');
  if (descriptionPattern) assert.match(response.json.error_description, descriptionPattern);
}

export const WEB_CLIENT = Object.freeze({ redirect_uris: ['https://client.example.org/cb'] });
