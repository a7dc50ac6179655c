// Hot reload, deterministically: activations are awaited through ScriptHost.reload (the watcher's
// path) or its events, never by sleeping.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import { startHttpHost, type HttpHost } from '../helpers/httpHost.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { WEB_CLIENT } from '../helpers/server.ts';

const version = (tag: string, extra = '') => `${extra}\nexport function modifyPostResponse(response) { response.version = '${tag}'; return true; }`;

describe('hot reload', () => {
  let server: ScriptServer;
  let remote: HttpHost;
  before(async () => {
    remote = await startHttpHost();
    server = await startScriptServer({}, { properties: { outboundAllowHttp: true, outboundAllowPrivateAddresses: true } });
  });
  after(async () => {
    await server.close();
    await remote.close();
  });

  it('a held in-flight call finishes on v1 while new calls get v2', async () => {
    let release!: () => void;
    const held = new Promise<ServerResponse>((resolve) => {
      remote.routes.set('/hold', (_request, response) => {
        resolve(response);
      });
    });
    const hostPort = new URL(remote.url).host;
    await server.put(
      'versioned',
      `export async function modifyPostResponse(response, context) {
        if (context.request.client_name === 'hold') await host.http.getJson('${remote.url}/hold');
        response.version = 'v1';
        return true;
      }`,
      { plugins: { http: { allowedHosts: [hostPort] } } },
    );
    const first = server.register({ ...WEB_CLIENT, client_name: 'hold' });
    const pending = await held; // v1 is now in flight, waiting on the remote
    release = () => pending.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    await server.put('versioned', version('v2'));
    const second = await server.register(WEB_CLIENT);
    assert.equal(second.json.version, 'v2');
    release();
    const firstResponse = await first;
    assert.equal(firstResponse.status, 201, firstResponse.text);
    assert.equal(firstResponse.json.version, 'v1');
    await server.drop('versioned');
  });

  it('a syntax error keeps the last good version serving and records file, line and column', async () => {
    await server.put('fragile', version('good'));
    await server.put('fragile', `export function modifyPostResponse(response) {\n  response.version = 'broken'\n  return true +;\n}`);
    const status = scriptStatus(server, 'fragile');
    assert.equal(status.state, 'active');
    assert.equal(status.lastError.code, 'compile_error');
    assert.match(status.lastError.file, /fragile\.js$/);
    assert.equal(status.lastError.line, 3);
    assert.equal(typeof status.lastError.column, 'number');
    assert.equal((await server.register(WEB_CLIENT)).json.version, 'good');
    // The file put back as it was: the active version is unchanged, and the failure is no longer news.
    await server.put('fragile', version('good'));
    assert.equal(scriptStatus(server, 'fragile').lastError, undefined);
    await server.put('fragile', version('fixed'));
    assert.equal(scriptStatus(server, 'fragile').lastError, undefined);
    assert.equal((await server.register(WEB_CLIENT)).json.version, 'fixed');
    await server.drop('fragile');
  });

  it('an empty file (an in-place save under way) is never a version: the last good one keeps serving', async () => {
    const deny = `export function createClient() { return false; }`;
    await server.put('gate', deny);
    assert.equal((await server.register(WEB_CLIENT)).status, 400);
    for (const text of ['', '   \n\n']) {
      await server.put('gate', text);
      assert.equal(scriptStatus(server, 'gate').state, 'active');
      assert.match(scriptStatus(server, 'gate').lastError.message, /the file is empty/);
      assert.equal((await server.register(WEB_CLIENT)).status, 400, 'the deny policy still holds');
    }
    await server.drop('gate');
  });

  it('a version that exports no hooks any more is activated with a notice that says which went away', async () => {
    await server.put('fading', `export function createClient() { return false; }\nexport function modifyPostResponse() { return true; }`);
    await server.put('fading', `// retired for now\nexport const retired = true;`);
    const status = scriptStatus(server, 'fading');
    assert.equal(status.state, 'active');
    assert.deepEqual(status.hooks, []);
    assert.equal(status.notice, 'hooks no longer exported: createClient, modifyPostResponse');
    assert.equal((await server.register(WEB_CLIENT)).status, 201);
    await server.put('fading', `export function createClient() { return true; }`);
    assert.equal(scriptStatus(server, 'fading').notice, undefined);
    await server.drop('fading');
  });

  it('a deleted script is no longer called', async () => {
    await server.put('doomed', version('doomed'));
    assert.equal((await server.register(WEB_CLIENT)).json.version, 'doomed');
    await server.drop('doomed');
    assert.equal((await server.register(WEB_CLIENT)).json.version, undefined);
    assert.equal(scriptStatus(server, 'doomed'), undefined);
  });

  it('a settings change applies without touching the code', async () => {
    const code = `export function modifyPostResponse(response, context) { response.version = context.properties.tag; return true; }`;
    await server.put('tunable', code, { properties: { tag: 'one' } });
    assert.equal((await server.register(WEB_CLIENT)).json.version, 'one');
    writeFileSync(join(server.scriptsDir, 'tunable.json'), JSON.stringify({ properties: { tag: 'two' } }));
    await server.registrar.scripts.reload('tunable');
    assert.equal((await server.register(WEB_CLIENT)).json.version, 'two');
    writeFileSync(join(server.scriptsDir, 'tunable.json'), JSON.stringify({ enabled: false, properties: { tag: 'two' } }));
    await server.registrar.scripts.reload('tunable');
    assert.equal((await server.register(WEB_CLIENT)).json.version, undefined);
    assert.equal(scriptStatus(server, 'tunable').state, 'disabled');
    writeFileSync(join(server.scriptsDir, 'tunable.json'), '{ "priority": "high" }');
    await server.registrar.scripts.reload('tunable');
    assert.match(scriptStatus(server, 'tunable').lastError.message, /priority/);
    await server.drop('tunable');
  });

  it('reloading repeatedly under concurrent registrations fails no request', async () => {
    await server.put('churn', version('0'));
    const registrations = Array.from({ length: 120 }, (_, i) => server.register({ ...WEB_CLIENT, client_name: `c${i}` }));
    for (let i = 1; i <= 25; i += 1) await server.put('churn', version(String(i)));
    const results = await Promise.all(registrations);
    const failures = results.filter((r) => r.status !== 201);
    assert.equal(failures.length, 0, failures.map((f) => f.text).join('\n'));
    assert.ok(results.every((r) => /^\d+$/.test(r.json.version)));
    assert.equal((await server.register(WEB_CLIENT)).json.version, '25');
    await server.drop('churn');
  });
});

describe('file watching', () => {
  it('picks up new, changed (including atomic saves) and deleted scripts by itself', async () => {
    const server = await startScriptServer({}, { watch: true });
    try {
      const scripts = server.registrar.scripts;
      const file = join(server.scriptsDir, 'watched.js');
      let loaded = once(scripts, 'loaded');
      writeFileSync(file, version('w1'));
      await loaded;
      assert.equal((await server.register(WEB_CLIENT)).json.version, 'w1');

      // An editor's atomic save: write a temp file, rename it over the script.
      loaded = once(scripts, 'loaded');
      writeFileSync(join(server.scriptsDir, '.watched.js.swp'), 'junk');
      writeFileSync(`${file}.tmp`, version('w2'));
      renameSync(`${file}.tmp`, file);
      await loaded;
      assert.equal((await server.register(WEB_CLIENT)).json.version, 'w2');

      // A chunked write: first half (a syntax error if read alone), then the rest.
      loaded = once(scripts, 'loaded');
      const text = version('w3');
      writeFileSync(file, text.slice(0, 20));
      writeFileSync(file, text);
      await loaded;
      assert.equal((await server.register(WEB_CLIENT)).json.version, 'w3');

      // An in-place save written slowly: the file is truncated, then filled in pieces. Registrations
      // made meanwhile are never let through by a half-written deny policy.
      loaded = once(scripts, 'loaded');
      writeFileSync(file, `export function createClient() { return false; }\n${version('w4')}`);
      await loaded;
      const denial = `export function createClient() { return false; }\n${version('w5')}`;
      const writing = (async () => {
        const handle = openSync(file, 'w');
        for (let at = 0; at < denial.length; at += 16) {
          writeSync(handle, denial.slice(at, at + 16));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        closeSync(handle);
      })();
      const during: number[] = [];
      while (!(await Promise.race([writing.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 2))]))) {
        during.push((await server.register(WEB_CLIENT)).status);
      }
      await once(scripts, 'loaded');
      assert.ok(during.length > 0);
      assert.deepEqual([...new Set(during)], [400], 'no registration got through while the deny policy was being rewritten');
      assert.equal((await server.register(WEB_CLIENT)).status, 400);

      const unloaded = once(scripts, 'unloaded');
      rmSync(file);
      await unloaded;
      assert.equal((await server.register(WEB_CLIENT)).json.version, undefined);
    } finally {
      await server.close();
    }
  });
});

describe('file watching in deployments', () => {
  it('follows a Kubernetes ConfigMap update (the ..data symlink swapped to a new directory)', async () => {
    const server = await startScriptServer({}, { watch: true });
    try {
      const dir = server.scriptsDir;
      const { mkdirSync, symlinkSync, renameSync: rename } = await import('node:fs');
      // The layout the kubelet writes: ..<timestamp>/ holds the files, ..data links to it, and
      // each visible file links through ..data.
      const publish = (stamp: string, tag: string) => {
        mkdirSync(join(dir, `..${stamp}`));
        writeFileSync(join(dir, `..${stamp}`, 'configmap.js'), version(tag));
        symlinkSync(`..${stamp}`, join(dir, '..data_tmp'));
        rename(join(dir, '..data_tmp'), join(dir, '..data'));
      };
      const scripts = server.registrar.scripts;
      let loaded = once(scripts, 'loaded');
      publish('2026_01', 'cm1');
      symlinkSync('..data/configmap.js', join(dir, 'configmap.js'));
      await loaded;
      assert.equal((await server.register(WEB_CLIENT)).json.version, 'cm1');
      loaded = once(scripts, 'loaded');
      publish('2026_02', 'cm2');
      await loaded;
      assert.equal((await server.register(WEB_CLIENT)).json.version, 'cm2');
    } finally {
      await server.close();
    }
  });

  it('polls the folder when DCR_SCRIPTS_POLLING is true (bind mounts)', async () => {
    const server = await startScriptServer({}, { watch: true, env: { DCR_SCRIPTS_POLLING: 'true' } });
    try {
      const loaded = once(server.registrar.scripts, 'loaded');
      writeFileSync(join(server.scriptsDir, 'polled.js'), version('polled'));
      await loaded;
      assert.equal((await server.register(WEB_CLIENT)).json.version, 'polled');
    } finally {
      await server.close();
    }
  });
});

describe('saves that cannot open a policy', () => {
  const DENY = `// Refuse registrations for evil.example.
const DENIED = ['evil.example'];
export function createClient(context) {
  if ((context.client.redirect_uris ?? []).some((uri) => DENIED.includes(new URL(uri).hostname))) {
    throw new RegistrationError('invalid_redirect_uri', 'evil.example is denied');
  }
  return true;
}
`;
  const EVIL = { redirect_uris: ['https://evil.example/cb'] };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('no sequence of saves ending with the deny policy lets a denied registration through; a real removal applies once the files stand still', async () => {
    const server = await startScriptServer({}, { watch: true, env: { DCR_SCRIPTS_HOLD_SECONDS: '1' } });
    const file = join(server.scriptsDir, 'deny.js');
    const statuses: number[] = [];
    let running = true;
    const hammer = (async () => {
      while (running) {
        statuses.push((await server.register(EVIL)).status);
        await pause(5);
      }
    })();
    try {
      let loaded = once(server.registrar.scripts, 'loaded');
      writeFileSync(file, DENY);
      await loaded;
      statuses.length = 0;
      const saves: Array<[string, () => Promise<void>]> = [
        ['truncated after the leading comment, then restored', async () => {
          writeFileSync(file, DENY.slice(0, DENY.indexOf('\n') + 1));
          await pause(400);
          writeFileSync(file, DENY);
        }],
        ['truncated after the const line, then restored', async () => {
          writeFileSync(file, DENY.slice(0, DENY.indexOf('export')));
          await pause(400);
          writeFileSync(file, DENY);
        }],
        ['written in two parts with a pause', async () => {
          const handle = openSync(file, 'w');
          writeSync(handle, DENY.slice(0, DENY.indexOf('export')));
          await pause(400);
          writeSync(handle, DENY.slice(DENY.indexOf('export')));
          closeSync(handle);
        }],
        ['moved aside as a backup, then written anew', async () => {
          renameSync(file, `${file}~`);
          await pause(400);
          writeFileSync(file, DENY);
        }],
      ];
      for (const [, save] of saves) {
        await save();
        await pause(600); // past the debounce: whatever the watcher made of the save has applied
      }
      assert.ok(statuses.length > 50, `only ${statuses.length} registrations were tried`);
      assert.deepEqual([...new Set(statuses)], [400], 'a denied registration got through during a save');
      assert.match(JSON.stringify(scriptStatus(server, 'deny')), /"state":"active"/);

      // Removing the script for real: it is held, then applies once the folder stood still for the hold.
      running = false;
      await hammer;
      const unloaded = once(server.registrar.scripts, 'unloaded');
      rmSync(file);
      await pause(300);
      assert.equal((await server.register(EVIL)).status, 400, 'held: the version in force still serves');
      assert.match(scriptStatus(server, 'deny').notice, /removes policy is held/);
      await unloaded;
      assert.equal((await server.register(EVIL)).status, 201);
    } finally {
      running = false;
      await hammer;
      await server.close();
    }
  });

  it('declared hooks: a version lacking one is refused outright, the version in force keeps serving', async () => {
    const server = await startScriptServer({ deny: [DENY, { hooks: ['createClient'] }] });
    try {
      await server.put('deny', DENY.slice(0, DENY.indexOf('export')), { hooks: ['createClient'] });
      const status = scriptStatus(server, 'deny');
      assert.equal(status.state, 'active');
      assert.match(status.lastError.message, /does not export createClient, which deny.json "hooks" declares/);
      assert.equal((await server.register(EVIL)).status, 400);
    } finally {
      await server.close();
    }
  });
});
