// A real MongoDB wire server for the MongoDB suites: MONGODB_URI when set (the user's own MongoDB),
// otherwise FerretDB (built by .ci/ferretdb.sh) started on an ephemeral loopback port with its
// SQLite handler in a temp directory. Without either, the suites skip, except under CI, where
// they fail.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { supervised } from './processes.ts';
import { freePort, tempDir } from './server.ts';

export interface WireServer {
  /** A URI naming a database of its own. */
  uri: string;
  database: string;
  /** The server's name and version, for reports. */
  name: string;
  /** FerretDB only: its process id (benchmarks read its CPU time). */
  pid?(): number | undefined;
  /** FerretDB only: stop and start the server process (same port, same data). */
  stop?(): Promise<void>;
  start?(): Promise<void>;
  close(): Promise<void>;
}

function ferretBinary(): string | undefined {
  if (process.env.REGISTRAR_FERRETDB) return process.env.REGISTRAR_FERRETDB;
  const cache = process.env.REGISTRAR_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'registrar');
  const candidate = join(cache, `ferretdb-${process.env.FERRETDB_VERSION ?? 'v1.24.2'}`, 'ferretdb');
  return existsSync(candidate) ? candidate : undefined;
}

export const WIRE_SERVER_UNAVAILABLE =
  'no MongoDB wire server: set MONGODB_URI, or build FerretDB with `bash .ci/ferretdb.sh` (needs Go)';

/** True when a wire server can be had; under CI its absence is an error. */
export function wireServerAvailable(): boolean {
  const available = Boolean(process.env.MONGODB_URI || ferretBinary());
  if (!available && process.env.CI) throw new Error(`CI: ${WIRE_SERVER_UNAVAILABLE}`);
  return available;
}

async function ping(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close().catch(() => {});
  }
}

export async function startWireServer(): Promise<WireServer> {
  const database = `registrar_test_${randomUUID().slice(0, 8)}`;
  const external = process.env.MONGODB_URI;
  if (external) {
    const client = new MongoClient(external);
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    await client.close();
    return {
      uri: external,
      database,
      name: `MongoDB ${String(info.version)} (MONGODB_URI)`,
      async close() {
        const cleanup = new MongoClient(external);
        await cleanup.connect();
        await cleanup.db(database).dropDatabase();
        await cleanup.close();
      },
    };
  }
  const binary = ferretBinary();
  if (!binary) throw new Error(WIRE_SERVER_UNAVAILABLE);
  // Run in the temp folder: FerretDB writes its state file (state.json) where it runs.
  const version = /version: (\S+)/.exec(spawnSync(binary, ['--version'], { encoding: 'utf8', cwd: tmpdir() }).stdout)?.[1] ?? '?';
  const dir = tempDir('registrar-ferretdb-');
  const port = await freePort();
  const uri = `mongodb://127.0.0.1:${port}/`;
  const server = supervised({
    command: binary,
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${dir}`,
      '--telemetry=disable',
      '--debug-addr=-',
      '--log-level=ERROR',
    ],
    ready: () => ping(uri),
    deadlineMs: 15_000,
  });
  const { start, stop, pid } = server;
  await start();
  return {
    uri,
    database,
    name: `FerretDB ${version} (SQLite handler)`,
    pid,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
