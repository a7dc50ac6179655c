#!/usr/bin/env -S node --no-node-snapshot --disable-warning=ExperimentalWarning
// `npx registrar ...`: the operator's command line.
//   registrar serve                                   the server (npm start's), from a checkout or an install
//   registrar --version                               the installed version
//   registrar schema                                  the JSON Schema of the Client
//   registrar scripts check [dir]                     compile and type-check every script against the sandbox
//   registrar scripts test <script> <request.json>    dry-run one script's hooks offline
//   registrar config patch <patch.json> --url URL (--token T | --client-id ID --client-secret S)
//   registrar sync --url URL (...)                     reconcile the authorization server now
//   registrar tokens issue|list|revoke ID --url URL (...)   initial access tokens
//   registrar clients pending|approve ID|reject ID --url URL (...)   the approval queue
//   registrar decisions [--client-id-filter ID] [--outcome O] [--script S] [--since T] ... --url URL (...)
//   registrar scripts replay <file> [--last N] [--since T] --url URL (...)   a candidate against recorded registrations
//   registrar backup <file>                           an online copy of the embedded store in DCR_DATA_DIR
//   registrar fleet --url URL (...)                    every server process, what it runs, whether they agree
//   registrar scripts wait <name> <version> [--timeout S] --url URL (...)   until every process runs that version
// --url defaults to REGISTRAR_URL (else http://localhost:8080); credentials to REGISTRAR_TOKEN, or
// REGISTRAR_CLIENT_ID with REGISTRAR_CLIENT_SECRET (or REGISTRAR_CLIENT_SECRET_FILE), else the
// server's own DCR_ADMIN_CLIENT_ID / DCR_ADMIN_CLIENT_SECRET: nothing secret need be on the command line.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { createLogger } from '../log/index.ts';
import { AdminClientSchema, dryRun, SCOPES } from '../admin/index.ts';
import { commandLineEnvironment, readSettings, VERSION } from '../config/index.ts';
import { createRegistrar } from '../index.ts';
import { backupEmbedded } from '../store/index.ts';
import { typeCheckScripts } from './typeCheck.ts';
import { messageOf } from '../errors/index.ts';

const USAGE = `usage:
  registrar serve                                   the server (as npm start), configured by DCR_* as docs/configuration.md says
  registrar --version
  registrar schema
  registrar scripts check [dir]
  registrar scripts test <script> <request.json>
  registrar config patch <patch.json> --url URL (--token TOKEN | --client-id ID --client-secret SECRET)
  registrar sync --url URL (--token TOKEN | --client-id ID --client-secret SECRET)
  registrar tokens issue [--max-registrations N] [--expires-in SECONDS] [--label TEXT] --url URL (...)
  registrar tokens list --url URL (...)
  registrar tokens revoke <id> --url URL (...)
  registrar clients pending --url URL (...)
  registrar clients approve <client_id> --url URL (...)
  registrar clients reject <client_id> --url URL (...)
  registrar decisions [--client CLIENT_ID] [--request REQUEST_ID] [--operation OP] [--outcome O] [--script NAME] [--version HASH] [--since T] [--until T] [--limit N] --url URL (...)
  registrar scripts replay <file> [--last N] [--since T] --url URL (...)
  registrar backup <file>
  registrar fleet --url URL (...)
  registrar scripts wait <name> <version> [--timeout SECONDS] --url URL (...)

  --url defaults to REGISTRAR_URL, else http://localhost:8080. Credentials: --token, or --client-id with
  --client-secret or --client-secret-file; else REGISTRAR_TOKEN, REGISTRAR_CLIENT_ID with REGISTRAR_CLIENT_SECRET
  (or REGISTRAR_CLIENT_SECRET_FILE), else DCR_ADMIN_CLIENT_ID / DCR_ADMIN_CLIENT_SECRET.
  A file name given without a folder (scripts replay gate.next.js) is looked for in DCR_SCRIPTS_DIR (./scripts)
  when it is not in the current folder.`;

const ENV = commandLineEnvironment();

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/** The server over `dir` with an empty scratch data folder, not listening: scripts run as they would in it. */
async function offlineHost(dir: string) {
  const scratch = mkdtempSync(join(tmpdir(), 'registrar-cli-'));
  const registrar = createRegistrar({
    settings: { ...readSettings(), dataDir: scratch, scriptsDir: dir, encryptionKey: undefined },
    logger: createLogger('silent'),
    watch: false,
  });
  await registrar.scripts.loadAll();
  return {
    host: registrar.scripts,
    services: registrar.services,
    async close() {
      await registrar.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

async function scriptsCheck(dir: string): Promise<number> {
  const { host, close } = await offlineHost(dir);
  let failed = 0;
  let scripts = 0;
  // A file that does not compile is reported above; type checking it would hide the others' errors.
  const unparsed = new Set<string>();
  try {
    const status = host.status();
    scripts = status.length;
    for (const script of status) {
      const error = script.lastError as Record<string, unknown> | undefined;
      if (script.state === 'active' && !error) process.stdout.write(`ok       ${script.name} (${(script.hooks as string[]).join(', ')}) version ${String(script.hash).slice(0, 12)}\n`);
      else if (script.state === 'disabled') process.stdout.write(`disabled ${script.name}\n`);
      else {
        failed += 1;
        if (error?.code === 'compile_error' && typeof error.file === 'string') unparsed.add(error.file);
        process.stdout.write(`FAILED   ${script.name}: ${String(error?.message)} (${String(error?.file)}:${String(error?.line ?? '?')}:${String(error?.column ?? '?')})\n`);
      }
    }
  } finally {
    await close();
  }
  const files = readdirSync(dir)
    .filter((file) => (file.endsWith('.ts') || file.endsWith('.js')) && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file))
    .filter((file) => !unparsed.has(file));
  if (files.length > 0) {
    const checked = typeCheckScripts(files);
    if (!checked) process.stdout.write('type check skipped: typescript is not installed\n');
    else if (checked.problems.length === 0) process.stdout.write(`types ok (${files.length} scripts, against the sandbox's globals)\n`);
    else {
      failed += 1;
      process.stdout.write(`type errors:\n${checked.problems.join('\n')}\n`);
    }
  }
  process.stdout.write(failed === 0 ? `verdict: ok (${scripts} scripts in ${dir})\n` : `verdict: FAILED (${failed} problem${failed === 1 ? '' : 's'} in ${dir}; a script that does not compile makes the decisions it would run refuse)\n`);
  return failed === 0 ? 0 : 1;
}

async function scriptsTest(scriptPath: string, requestPath: string): Promise<number> {
  const path = resolve(scriptFile(scriptPath));
  const name = basename(path, extname(path));
  const body = JSON.parse(readFileSync(requestPath, 'utf8')) as Record<string, unknown>;
  const { host, services, close } = await offlineHost(existsSync(path) && extname(path) ? dirname(path) : ENV.scriptsDir);
  try {
    if (!host.isActive(name)) {
      const status = host.status().find((s) => s.name === name);
      fail(`script ${name} is not active: ${JSON.stringify(status?.lastError ?? status?.state ?? 'not found')}`);
    }
    const result = await dryRun(services, host, name, body);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.outcome === 'failed' ? 1 : 0;
  } finally {
    await close();
  }
}

/** fetch, with a failure to connect said as what it is: the URL and the cause (ECONNREFUSED, a name that does not resolve). */
async function request(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    fail(`registrar: cannot reach ${url}: ${cause?.code ?? cause?.message ?? messageOf(err)}`);
  }
}

/** A file named without a folder that is not in the current one: the scripts folder's, as the README's examples assume. */
function scriptFile(file: string): string {
  if (existsSync(file) || file.includes('/')) return file;
  const inScripts = join(ENV.scriptsDir, file);
  return existsSync(inScripts) ? inScripts : file;
}

/** The server's URL and an administration token with `scope`: given, or from its token endpoint. */
async function adminAccess(args: string[], scope: string): Promise<{ url: string; token: string }> {
  const url = (option(args, '--url') ?? ENV.url).replace(/\/+$/, '');
  const given = option(args, '--token') ?? (option(args, '--client-id') ? undefined : ENV.token);
  if (given) return { url, token: given };
  const clientId = option(args, '--client-id') ?? ENV.clientId ?? fail('credentials are required: --token, --client-id with --client-secret, or REGISTRAR_CLIENT_ID / REGISTRAR_CLIENT_SECRET');
  const secretFile = option(args, '--client-secret-file') ?? ENV.clientSecretFile;
  const secret = option(args, '--client-secret') ?? (secretFile ? readFileSync(secretFile, 'utf8').trim() : ENV.clientSecret) ?? fail('a client secret is required: --client-secret, --client-secret-file or REGISTRAR_CLIENT_SECRET');
  const response = await request(`${url}/jans-auth/restv1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const answer = (await response.json()) as { access_token?: string };
  if (!response.ok || !answer.access_token) fail(`token request failed: ${response.status} ${JSON.stringify(answer)}`);
  return { url, token: answer.access_token };
}

async function configPatch(patchPath: string, args: string[]): Promise<number> {
  const { url, token } = await adminAccess(args, SCOPES.configWrite);
  const response = await request(`${url}/jans-config-api/api/v1/jans-auth-server/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json-patch+json', authorization: `Bearer ${token}` },
    body: readFileSync(patchPath, 'utf8'),
  });
  process.stdout.write(`${JSON.stringify(await response.json(), null, 2)}\n`);
  return response.ok ? 0 : 1;
}

/** Runs the reconciler now and prints its report; exits 1 when the run failed. */
async function sync(args: string[]): Promise<number> {
  const { url, token } = await adminAccess(args, SCOPES.clientsWrite);
  const response = await request(`${url}/admin/authorization-server/sync`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const report = (await response.json()) as { outcome?: string };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return response.ok && report.outcome !== 'failed' ? 0 : 1;
}

/** One administration call; prints the answer (JSON when there is one) and exits 1 on an error status. */
async function adminCall(args: string[], scope: string, method: string, path: string, body?: unknown): Promise<number> {
  const { url, token } = await adminAccess(args, scope);
  const response = await request(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  process.stdout.write(text ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : `${response.status}\n`);
  return response.ok ? 0 : 1;
}

function integerOption(args: string[], name: string): number | undefined {
  const value = option(args, name);
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) fail(`${name} must be a positive integer`);
  return Number(value);
}

function tokens(sub: string | undefined, rest: string[]): Promise<number> {
  if (sub === 'issue') {
    const label = option(rest, '--label');
    const maxRegistrations = integerOption(rest, '--max-registrations');
    const expiresIn = integerOption(rest, '--expires-in');
    const body = { ...(label ? { label } : {}), ...(maxRegistrations ? { max_registrations: maxRegistrations } : {}), ...(expiresIn ? { expires_in: expiresIn } : {}) };
    return adminCall(rest, SCOPES.clientsWrite, 'POST', '/admin/initial-access-tokens', body);
  }
  if (sub === 'list') return adminCall(rest, SCOPES.clientsRead, 'GET', '/admin/initial-access-tokens');
  if (sub === 'revoke' && rest[0]) return adminCall(rest.slice(1), SCOPES.clientsWrite, 'DELETE', `/admin/initial-access-tokens/${encodeURIComponent(rest[0])}`);
  fail(USAGE);
}

function clients(sub: string | undefined, rest: string[]): Promise<number> {
  if (sub === 'pending') return adminCall(rest, SCOPES.clientsRead, 'GET', '/admin/clients?status=pending');
  if ((sub === 'approve' || sub === 'reject') && rest[0]) return adminCall(rest.slice(1), SCOPES.clientsWrite, 'POST', `/admin/clients/${encodeURIComponent(rest[0])}/${sub}`);
  fail(USAGE);
}

function decisions(args: string[]): Promise<number> {
  const filters: Array<[string, string]> = [
    ['--client', 'client_id'],
    ['--request', 'request_id'],
    ['--operation', 'operation'],
    ['--outcome', 'outcome'],
    ['--script', 'script'],
    ['--version', 'version'],
    ['--since', 'since'],
    ['--until', 'until'],
    ['--limit', 'limit'],
  ];
  const query = new URLSearchParams();
  for (const [flag, parameter] of filters) {
    const value = option(args, flag);
    if (value !== undefined) query.set(parameter, value);
  }
  return adminCall(args, SCOPES.scriptsRead, 'GET', `/admin/decisions?${query}`);
}

/** The script's name is the file's, without its extension; its settings file beside it goes along. */
function replayFile(given: string, args: string[]): Promise<number> {
  const file = scriptFile(given);
  const name = basename(file).replace(/\.(js|ts)$/, '');
  const settingsFile = join(dirname(file), `${name}.json`);
  const last = integerOption(args, '--last');
  const since = option(args, '--since');
  const body = {
    source: readFileSync(file, 'utf8'),
    ...(existsSync(settingsFile) ? { settings: JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown> } : {}),
    ...(last ? { last } : {}),
    ...(since ? { since } : {}),
  };
  return adminCall(args, SCOPES.scriptsWrite, 'POST', `/admin/scripts/${encodeURIComponent(name.replace(/\.next$/, ''))}/replay`, body);
}

/** Polls the fleet view until every live process runs `name` at a version starting with `version`; exits 1 at the timeout, saying which do not. */
async function scriptsWait(name: string, version: string, args: string[]): Promise<number> {
  const { url, token } = await adminAccess(args, SCOPES.scriptsRead);
  const timeoutMs = (integerOption(args, '--timeout') ?? 60) * 1000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(`${url}/admin/fleet`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) fail(`registrar: ${url}/admin/fleet answered ${response.status}: ${await response.text()}`);
    const view = (await response.json()) as { processes: Array<{ host: string; pid: number; scripts: Array<{ name: string; state: string; version: string | null }> }> };
    const behind = view.processes.filter((each) => !each.scripts.some((script) => script.name === name && script.state === 'active' && script.version?.startsWith(version)));
    if (view.processes.length > 0 && behind.length === 0) {
      process.stdout.write(`${name} ${version}: in force in every process (${view.processes.length})\n`);
      return 0;
    }
    if (Date.now() >= deadline) {
      process.stdout.write(`${name} ${version}: not in force in ${behind.map((each) => `${each.host} pid ${each.pid}`).join(', ') || 'any process'} after ${timeoutMs / 1000} s\n`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(args: string[]): Promise<number> {
  const [command, sub, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`registrar ${VERSION}\n`);
    return 0;
  }
  if (command === 'serve') {
    // The server itself (core/main.ts), in this process: it runs until SIGTERM or SIGINT.
    await import('../main.ts');
    return new Promise<number>(() => {});
  }
  if (command === 'schema') {
    process.stdout.write(`${JSON.stringify(AdminClientSchema, null, 2)}\n`);
    return 0;
  }
  if (command === 'scripts' && sub === 'check') return scriptsCheck(resolve(rest[0] ?? readSettings().scriptsDir));
  if (command === 'scripts' && sub === 'test' && rest[0] && rest[1]) return scriptsTest(rest[0], rest[1]);
  if (command === 'config' && sub === 'patch' && rest[0]) return configPatch(rest[0], rest.slice(1));
  if (command === 'sync') return sync(args.slice(1));
  if (command === 'tokens') return tokens(sub, rest);
  if (command === 'decisions') return decisions(args.slice(1));
  if (command === 'scripts' && sub === 'replay' && rest[0]) return replayFile(rest[0], rest.slice(1));
  if (command === 'clients') return clients(sub, rest);
  if (command === 'backup' && sub) {
    const settings = readSettings();
    if (settings.mongodbUri) fail('registrar backup copies the embedded store; for MongoDB use mongodump (docs/operations.md)');
    const pages = await backupEmbedded(settings.dataDir, resolve(sub));
    process.stdout.write(`backed up ${join(settings.dataDir, 'registrar.db')} to ${resolve(sub)} (${pages} pages); keep the encryption key with it\n`);
    return 0;
  }
  if (command === 'fleet') return adminCall(args.slice(1), SCOPES.scriptsRead, 'GET', '/admin/fleet');
  if (command === 'scripts' && sub === 'wait' && rest[0] && rest[1]) return scriptsWait(rest[0], rest[1], rest.slice(2));
  fail(USAGE);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => fail(`registrar: ${messageOf(err)}`),
);
