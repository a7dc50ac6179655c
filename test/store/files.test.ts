// The embedded store's files: a start that finds the store lost data refuses (unless told), a
// running server whose files go or whose disk fills refuses writes and says so, retention follows
// its setting at purge time, and purged space goes back to the file system. Real files, real
// processes killed with SIGKILL, a real full file system (tmpfs in a mount namespace).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { EmbeddedStore, type ClientRecord, type DecisionRecord } from '../../core/store/index.ts';
import { failedStart, startProcess, stopProcess } from '../helpers/process.ts';
import { freePort, httpRequest, startServer, tempDir } from '../helpers/server.ts';

const CLIENT = { redirect_uris: ['https://client.example.org/cb'] };

function record(): ClientRecord {
  const clientId = randomUUID();
  return {
    clientId,
    revision: 1,
    secret: null,
    registrationAccessTokenHash: 'h',
    clientIdIssuedAt: 1,
    clientSecretExpiresAt: 0,
    expiresAt: null,
    createdAt: 1,
    metadata: { client_name: clientId },
  } as unknown as ClientRecord;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A pino logger whose lines a test reads. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('the embedded store refuses to start on a store that lost data', () => {
  it('an emptied, removed or replaced database: refused with what was found, the files left as found; DCR_ACCEPT_STORE_LOSS=true starts on what is there', async () => {
    const dir = tempDir();
    const other = tempDir();
    try {
      const store = new EmbeddedStore(dir);
      const kept = record();
      await store.clients.insert(kept);
      const storeId = store.storeId;
      await store.close();
      assert.equal(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')).storeId, storeId);
      const file = join(dir, 'registrar.db');
      const saved = join(other, 'saved.db');
      copyFileSync(file, saved);

      closeSync(openSync(file, 'w'));
      assert.throws(() => new EmbeddedStore(dir), new RegExp(`holds no store, but .*store.json records store ${storeId}.*DCR_ACCEPT_STORE_LOSS=true`));
      assert.throws(() => new EmbeddedStore(dir), /holds no store/, 'still refused: the refused start changed nothing');
      rmSync(file);
      assert.throws(() => new EmbeddedStore(dir), /holds no store/);
      assert.equal(existsSync(file), false, 'no empty database left behind');

      const elsewhere = new EmbeddedStore(other);
      await elsewhere.close();
      copyFileSync(join(other, 'registrar.db'), file);
      assert.throws(() => new EmbeddedStore(dir), new RegExp(`is store ${elsewhere.storeId}, but .*records store ${storeId}: the file was replaced`));

      copyFileSync(saved, file);
      const restored = new EmbeddedStore(dir);
      assert.equal(restored.storeId, storeId);
      assert.equal((await restored.clients.find(kept.clientId, Date.now()))?.clientId, kept.clientId, 'the restored file is served');
      await restored.close();

      closeSync(openSync(file, 'w'));
      const { logger, lines } = capturedLogger();
      const accepted = new EmbeddedStore(dir, { acceptLoss: true, logger });
      assert.notEqual(accepted.storeId, storeId, 'a new store');
      assert.equal(await accepted.clients.find(kept.clientId, Date.now()), undefined);
      await accepted.close();
      assert.ok(lines.some((line) => line.level === 50 && /lost data/.test(String(line.msg))), JSON.stringify(lines));
      assert.equal(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')).storeId, accepted.storeId);
      await new EmbeddedStore(dir).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('after kill -9: starts on its write-ahead log, and refuses when the log is gone (exit 1, what was found), until told to accept the loss', async () => {
    const dir = tempDir();
    const env = { PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dir, DCR_SCRIPTS_OPTIONAL: 'true' };
    const register = async (url: string, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const created = await httpRequest(`${url}/register`, 'POST', { json: CLIENT });
        assert.equal(created.status, 201, created.text);
        ids.push(created.json.client_id);
      }
      return ids;
    };
    try {
      let running = await startProcess(env);
      const first = await register(running.url, 20);
      assert.equal(await stopProcess(running, 'SIGKILL'), null);
      assert.ok(existsSync(join(dir, 'registrar.db-wal')));

      running = await startProcess(env);
      for (const id of first) assert.equal(await readable(dir, id), true, `${id} survived kill -9`);
      await register(running.url, 20);
      await stopProcess(running, 'SIGKILL');
      rmSync(join(dir, 'registrar.db-wal'));
      rmSync(join(dir, 'registrar.db-shm'), { force: true });

      for (const attempt of [1, 2]) {
        const refused = await failedStart(env);
        assert.equal(refused.code, 1, `attempt ${attempt}: ${refused.stderr}`);
        assert.match(refused.stderr, /^Registrar failed to start: the database was not closed cleanly \(\.registrar-open-\d+-/);
        assert.match(refused.stderr, /its write-ahead log .*registrar\.db-wal is gone: the writes it held are lost\. Restore the files, or set DCR_ACCEPT_STORE_LOSS=true/);
        assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
      }

      running = await startProcess({ ...env, DCR_ACCEPT_STORE_LOSS: 'true' });
      assert.match(running.stdout(), /lost data/);
      assert.equal(await stopProcess(running), 0);
      assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.registrar-open-')), [], 'a clean stop leaves no marker');
      running = await startProcess(env);
      assert.equal(await stopProcess(running), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Whether the store in `dir` holds the client, read through a second connection. */
async function readable(dir: string, clientId: string): Promise<boolean> {
  const db = new DatabaseSync(join(dir, 'registrar.db'), { readOnly: true });
  try {
    return db.prepare('SELECT 1 FROM clients WHERE client_id = ?').get(clientId) !== undefined;
  } finally {
    db.close();
  }
}

describe('a running embedded store whose files go', () => {
  for (const [what, act, reason] of [
    ['the data folder is removed', (dir: string) => rmSync(dir, { recursive: true, force: true }), /the database .*registrar\.db was removed while open/],
    [
      'the database file is replaced',
      (dir: string) => {
        const other = join(dir, 'other');
        mkdirSync(other);
        void new EmbeddedStore(other).close();
        renameSync(join(other, 'registrar.db'), join(dir, 'registrar.db'));
      },
      /the database .*registrar\.db was replaced while open/,
    ],
  ] as const) {
    it(`${what}: writes answer 503, readiness says why, it is logged once`, async () => {
      const { logger, lines } = capturedLogger();
      const dataDir = tempDir();
      const server = await startServer({ dataDir, logger });
      try {
        const created = await server.register(CLIENT);
        assert.equal(created.status, 201);
        assert.equal((await server.request('GET', '/health/ready')).status, 200);
        act(dataDir);
        const ready = await until('readiness turns', async () => {
          const answer = await server.request('GET', '/health/ready');
          return answer.status === 503 ? answer : undefined;
        });
        assert.match(ready.json.store, reason);
        const refused = await server.register(CLIENT);
        assert.equal(refused.status, 503, refused.text);
        assert.equal(refused.json.error, 'temporarily_unavailable');
        assert.doesNotMatch(refused.text, /registrar\.db|removed|replaced/, 'no file names to clients');
        if (what === 'the data folder is removed') {
          const read = await server.request('GET', `/register/${created.json.client_id}`, { token: created.json.registration_access_token });
          assert.equal(read.status, 200, 'what the open file holds is still read');
        }
        await new Promise((resolve) => setTimeout(resolve, 2500));
        assert.equal(lines.filter((line) => line.msg === 'the embedded store refuses writes').length, 1, 'logged once per change');
      } finally {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

describe('a disk without room (tmpfs in a mount namespace)', () => {
  /** Fills the file system `dir` is on, as seen from inside the process's mount namespace, until it refuses. */
  function fill(pid: number, dir: string): string {
    const filler = join(`/proc/${pid}/root`, dir, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(256 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(fd);
    }
    return filler;
  }

  for (const [how, minFreeMb, reason] of [
    ['under DCR_STORE_MIN_FREE_MB', '2', /has \d+ MB free, under DCR_STORE_MIN_FREE_MB \(2\)/],
    ['a write failing with SQLITE_FULL', '0', /is full: a write failed for want of room/],
  ] as const) {
    it(`${how}: writes answer 503 and readiness is not ready until room returns; nothing acknowledged is lost`, async () => {
      const dir = tempDir();
      const env = { PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dir, DCR_SCRIPTS_OPTIONAL: 'true', DCR_STORE_MIN_FREE_MB: minFreeMb, DCR_LOG_LEVEL: 'info' };
      // `unshare` execs the shell, the shell execs Node: the child's pid is the server's.
      const running = await startProcess(env, ['unshare', '-rm', 'sh', '-c', `mount -t tmpfs -o size=24m tmpfs ${dir} && exec "$@"`, 'sh']);
      const acknowledged: Array<{ id: string; token: string }> = [];
      try {
        const register = async () => {
          const answer = await httpRequest(`${running.url}/register`, 'POST', { json: CLIENT });
          if (answer.status === 201) acknowledged.push({ id: answer.json.client_id, token: answer.json.registration_access_token });
          return answer;
        };
        assert.equal((await register()).status, 201);
        const filler = fill(running.child.pid!, dir);
        // Room under the threshold is seen by the next check; a full write is seen by the write itself.
        const refused = await until('a write is refused', async () => {
          const answer = await register();
          return answer.status === 201 ? undefined : answer;
        });
        assert.equal(refused.status, 503, refused.text);
        assert.equal(refused.json.error, 'temporarily_unavailable');
        const notReady = await httpRequest(`${running.url}/health/ready`, 'GET');
        assert.equal(notReady.status, 503);
        assert.match(notReady.json.store, reason);
        rmSync(filler);
        await until('readiness returns', async () => ((await httpRequest(`${running.url}/health/ready`, 'GET')).status === 200 ? true : undefined));
        assert.equal((await register()).status, 201);
        assert.match(running.stdout(), /the embedded store refuses writes/);
        assert.match(running.stdout(), /the embedded store takes writes again/);
        assert.ok(acknowledged.length >= 2);
        for (const { id, token } of acknowledged) {
          assert.equal((await httpRequest(`${running.url}/register/${id}`, 'GET', { token })).status, 200, `${id} was acknowledged`);
        }
      } finally {
        assert.equal(await stopProcess(running), 0);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('decision records and the space they take', () => {
  it('retention follows decisionLogRetentionDays as it is at purge time', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const server = await startServer({ clock: () => now });
    try {
      assert.equal((await server.register(CLIENT)).status, 201);
      await server.registrar.flushDecisions();
      const count = async () => (await server.registrar.store.decisions.list({ limit: 100 })).length;
      assert.equal(await count(), 1);
      now += 2 * 86_400_000;
      assert.equal((await server.registrar.purge()).decisionRecords, 0, 'kept 30 days (the default)');
      server.registrar.config.replace({ ...server.registrar.config.current, decisionLogRetentionDays: 1 });
      assert.equal((await server.registrar.purge()).decisionRecords, 1, 'the lowered setting applies to records already written');
      assert.equal(await count(), 0);
    } finally {
      await server.close();
    }
  });

  it('purging gives the space back to the file system (incremental vacuum, a bounded step at a time)', async () => {
    const dir = tempDir();
    try {
      let store = new EmbeddedStore(dir);
      const padding = 'x'.repeat(1024);
      for (let batch = 0; batch < 20; batch++) {
        const records: DecisionRecord[] = Array.from({ length: 1000 }, (_, i) => ({
          id: `${batch}-${i}`,
          at: 1000 + batch * 1000 + i,
          requestId: 'r',
          operation: 'create',
          clientId: null,
          status: 201,
          outcome: 'ok',
          scripts: [],
          latencyMs: 1,
          request: { padding },
        }));
        await store.decisions.append(records);
      }
      await store.close();
      const file = join(dir, 'registrar.db');
      const full = statSync(file).size;
      assert.ok(full > 20 * 1024 * 1024, `${full} bytes`);
      store = new EmbeddedStore(dir);
      assert.equal(await store.decisions.purge(Number.MAX_SAFE_INTEGER), 20_000);
      await store.close();
      const purged = statSync(file).size;
      assert.ok(purged < full / 10, `the file went from ${full} to ${purged} bytes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a database made by an earlier version is brought along: incremental vacuum on, the per-record expiry gone, its records kept', async () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'registrar.db');
      const old = new DatabaseSync(file);
      old.exec(`PRAGMA journal_mode = WAL;
        CREATE TABLE decisions (id TEXT PRIMARY KEY, at INTEGER NOT NULL, client_id TEXT, expires_at INTEGER NOT NULL, doc TEXT NOT NULL) STRICT;
        CREATE INDEX decisions_expires_at ON decisions (expires_at);`);
      const kept = { id: 'old-1', at: 5, requestId: 'r', operation: 'create', clientId: null, status: 201, outcome: 'ok', scripts: [], latencyMs: 1 };
      old.prepare('INSERT INTO decisions (id, at, client_id, expires_at, doc) VALUES (?, ?, ?, ?, ?)').run('old-1', 5, null, 10, JSON.stringify(kept));
      old.close();
      const store = new EmbeddedStore(dir);
      assert.deepEqual(await store.decisions.list({ limit: 10 }), [kept]);
      await store.close();
      const check = new DatabaseSync(file, { readOnly: true });
      assert.equal((check.prepare('PRAGMA auto_vacuum').get() as { auto_vacuum: number }).auto_vacuum, 2);
      assert.deepEqual(
        (check.prepare("SELECT name FROM pragma_table_info('decisions')").all() as Array<{ name: string }>).map((column) => column.name),
        ['id', 'at', 'client_id', 'doc'],
      );
      check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
