// The published package, as a user gets it: `npm pack` (which builds dist/), the tarball installed
// into a project outside the checkout, and there: the server started with `npx registrar serve`
// on that project's scripts, createRegistrar embedded in the project's own Koa application,
// node-oidc-provider running on `registrar/oidc-provider` and issuing a token to a client
// registered at Registrar, and a TypeScript policy type-checked against `registrar/scripts`.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startCommand, stopProcess, type Running } from '../helpers/process.ts';
import { freePort, httpRequest, tempDir } from '../helpers/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
const versionOf = (name: string) => lock.packages[`node_modules/${name}`]!.version;
/** Commands outside the test runner: this Node (24) first on PATH, none of the runner's options. */
const plain = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NODE_OPTIONS: '', npm_config_update_notifier: 'false' };
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: plain, maxBuffer: 16 * 1024 * 1024 });

describe('the published package, installed into another project', () => {
  let project: string;
  let tarball: string;
  const key = randomBytes(32).toString('base64');

  before(async () => {
    project = tempDir('registrar-user-project-');
    const packed = JSON.parse((await npm(['pack', '--pack-destination', project, '--json'], ROOT)).stdout.replace(/^[^[]*/, '')) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(project, packed[0]!.filename);
    const files = packed[0]!.files.map((file) => file.path);
    assert.ok(files.includes('dist/core/index.js') && files.includes('dist/core/index.d.ts') && files.includes('dist/scripts/registrar.d.ts'), 'built JavaScript, declarations and the script types');
    assert.ok(!files.some((file) => file.startsWith('test/') || file.startsWith('bench/') || file.startsWith('.ci/')), 'no tests, benchmarks or CI');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'policy-project', private: true, type: 'module', allowScripts: { 'isolated-vm': false, protobufjs: false } }));
    await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `koa@${versionOf('koa')}`, `oidc-provider@${versionOf('oidc-provider')}`, `typescript@${versionOf('typescript')}`], project);
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  it('npx registrar serve runs the server on the project\'s own scripts; the command line answers --help', async () => {
    mkdirSync(join(project, 'policies'), { recursive: true });
    writeFileSync(join(project, 'policies', 'tag.js'), 'export function modifyPostResponse(response) { response.served_by = "policy-project"; return true; }');
    const help = await run(join(project, 'node_modules/.bin/registrar'), ['--help'], { cwd: project, env: plain });
    assert.match(help.stdout, /registrar serve/);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal((await run(join(project, 'node_modules/.bin/registrar'), ['--version'], { cwd: project, env: plain })).stdout, `registrar ${version}\n`);
    assert.match(readFileSync(join(project, 'node_modules/registrar/CHANGELOG.md'), 'utf8'), new RegExp(`^## ${version.replaceAll('.', '\\.')} `, 'm'), 'the CHANGELOG has the version');
    let server: Running | undefined;
    try {
      server = await startCommand([join(project, 'node_modules/.bin/registrar'), 'serve'], { ...plain, PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: join(project, 'data-serve'), DCR_SCRIPTS_DIR: join(project, 'policies') });
      assert.match(server.line, /scripts 1 in force in .*policies/);
      const created = await httpRequest(`${server.url}/register`, 'POST', { json: { redirect_uris: ['https://client.example.org/cb'] } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.served_by, 'policy-project');
    } finally {
      if (server) assert.equal(await stopProcess(server), 0);
    }
  });

  it("createRegistrar serves inside the project's own Koa application", async () => {
    writeFileSync(
      join(project, 'embed.mjs'),
      `import Koa from 'koa';
import { createRegistrar, readSettings } from 'registrar';
const registrar = createRegistrar({ settings: readSettings({ ...process.env, DCR_SCRIPTS_OPTIONAL: 'true', DCR_SCRIPTS_DIR: 'no-scripts' }) });
await registrar.start();
const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/hello') { ctx.body = { from: 'the outer application' }; return; }
  ctx.respond = false;
  registrar.app.callback()(ctx.req, ctx.res);
});
const server = app.listen(0, '127.0.0.1', () => console.log('embedded on ' + server.address().port));
process.on('SIGTERM', () => server.close(() => registrar.close().then(() => process.exit(0))));
`,
    );
    const child = spawn(process.execPath, ['--no-node-snapshot', 'embed.mjs'], { cwd: project, env: { ...plain, DCR_DATA_DIR: join(project, 'data-embed'), DCR_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    try {
      const port = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          const found = /embedded on (\d+)/.exec(String(chunk));
          if (found) resolve(found[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      assert.deepEqual((await httpRequest(`${url}/hello`, 'GET')).json, { from: 'the outer application' });
      const created = await httpRequest(`${url}/register`, 'POST', { json: { redirect_uris: ['https://client.example.org/cb'] } });
      assert.equal(created.status, 201, created.text);
      assert.equal((await httpRequest(`${url}/.well-known/openid-configuration`, 'GET')).json.registration_endpoint, 'http://localhost:8080/register');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('node-oidc-provider on registrar/oidc-provider issues a token to a client registered at Registrar', async () => {
    const dataDir = join(project, 'data-provider');
    const providerPort = await freePort();
    writeFileSync(
      join(project, 'provider.mjs'),
      `import Provider from 'oidc-provider';
import { registrarAdapter } from 'registrar/oidc-provider';
const issuer = 'http://127.0.0.1:${providerPort}';
const provider = new Provider(issuer, { adapter: registrarAdapter({ dataDir: ${JSON.stringify(dataDir)} }), features: { clientCredentials: { enabled: true } }, scopes: ['api:read'] });
const server = provider.listen(${providerPort}, '127.0.0.1', () => console.log('provider on ${providerPort}'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    );
    let registrar: Running | undefined;
    const provider = spawn(process.execPath, ['--no-node-snapshot', 'provider.mjs'], { cwd: project, env: { ...plain, DCR_ENCRYPTION_KEY: key }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      registrar = await startCommand([join(project, 'node_modules/.bin/registrar'), 'serve'], { ...plain, PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_SCRIPTS_OPTIONAL: 'true', DCR_SCRIPTS_DIR: join(project, 'none'), DCR_ENCRYPTION_KEY: key });
      await new Promise<void>((resolve, reject) => {
        provider.stdout.on('data', (chunk) => String(chunk).includes('provider on') && resolve());
        provider.once('exit', (code) => reject(new Error(`the provider exited ${code}`)));
      });
      const client = (await httpRequest(`${registrar.url}/register`, 'POST', { json: { grant_types: ['client_credentials'], response_types: [] } })).json;
      const token = await fetch(`http://127.0.0.1:${providerPort}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      const answer = (await token.json()) as { access_token?: string; token_type?: string };
      assert.equal(token.status, 200, JSON.stringify(answer));
      assert.ok(answer.access_token);
      assert.equal(answer.token_type, 'Bearer');
    } finally {
      provider.kill('SIGTERM');
      if (registrar) await stopProcess(registrar);
    }
  });

  it("type-checks the project's TypeScript policy against registrar/scripts, and finds its mistakes", async () => {
    mkdirSync(join(project, 'typed'), { recursive: true });
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'es2024', lib: ['es2024'], types: [], module: 'esnext', moduleResolution: 'bundler', strict: true, noEmit: true }, include: ['typed/*.ts'] }),
    );
    writeFileSync(
      join(project, 'typed', 'gate.ts'),
      `import type { CreateClient } from 'registrar/scripts';
export const createClient: CreateClient<{ domain: string }> = (context) => {
  const foreign = (context.client.redirect_uris ?? []).find((uri) => !new URL(uri).hostname.endsWith(context.properties.domain));
  if (foreign) throw new RegistrationError('invalid_redirect_uri', foreign + ' is not ours');
  host.log.info('checked', { client: context.clientId });
  return true;
};
`,
    );
    const clean = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, env: plain }).catch((err: { stdout: string }) => err);
    assert.equal((clean as { code?: number }).code, undefined, String((clean as { stdout: string }).stdout));
    writeFileSync(join(project, 'typed', 'wrong.ts'), `import type { ModifyScopes } from 'registrar/scripts';\nexport const modifyScopes: ModifyScopes = (scopes) => scopes.length;\nrequire('fs');\n`);
    const wrong = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project, '--pretty', 'false'], { cwd: project, env: plain }).then(
      () => assert.fail('a wrong policy type-checked'),
      (err: { stdout: string }) => err.stdout,
    );
    assert.match(wrong, /wrong\.ts\(2,\d+\): error TS2322/, 'a hook answering the wrong type');
    assert.match(wrong, /wrong\.ts\(3,1\): error TS\d+: Cannot find name 'require'/, 'no Node.js in the sandbox');
  });
});
