// The peer for the benchmarks: node-oidc-provider with dynamic registration and registration
// management enabled, no policies, on one of two adapters: `sqlite` (the default), a durable
// adapter on node:sqlite set up like Registrar's embedded store (WAL, synchronous NORMAL, one row
// per model instance, indexes for the lookups the adapter contract makes), or `memory`, its
// development adapter. Prints a "listening" line like Registrar's.
//   Run: node bench/peer.ts PORT [sqlite | memory] [DIR]
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';

const port = Number(process.argv[2] ?? 3000);
const [kind = 'sqlite', dir = '.'] = process.argv.slice(3);
const issuer = `http://127.0.0.1:${port}`;

function sqliteAdapter(file: string) {
  const db = new DatabaseSync(file);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
    CREATE TABLE IF NOT EXISTS models (model TEXT NOT NULL, id TEXT NOT NULL, payload TEXT NOT NULL, grant_id TEXT, user_code TEXT, uid TEXT,
      expires_at INTEGER, consumed_at INTEGER, PRIMARY KEY (model, id));
    CREATE INDEX IF NOT EXISTS by_grant ON models (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS by_user_code ON models (model, user_code) WHERE user_code IS NOT NULL;
    CREATE INDEX IF NOT EXISTS by_uid ON models (model, uid) WHERE uid IS NOT NULL;`);
  const upsert = db.prepare(`INSERT INTO models (model, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`);
  const live = '(expires_at IS NULL OR expires_at > ?)';
  const byId = db.prepare(`SELECT payload, consumed_at FROM models WHERE model = ? AND id = ? AND ${live}`);
  const byUserCode = db.prepare(`SELECT payload, consumed_at FROM models WHERE model = ? AND user_code = ? AND ${live}`);
  const byUid = db.prepare(`SELECT payload, consumed_at FROM models WHERE model = ? AND uid = ? AND ${live}`);
  const consume = db.prepare('UPDATE models SET consumed_at = ? WHERE model = ? AND id = ?');
  const destroy = db.prepare('DELETE FROM models WHERE model = ? AND id = ?');
  const revoke = db.prepare('DELETE FROM models WHERE grant_id = ?');
  const now = () => Math.floor(Date.now() / 1000);
  const payloadOf = (row: Record<string, unknown> | undefined): AdapterPayload | undefined =>
    row ? { ...(JSON.parse(row.payload as string) as AdapterPayload), ...(row.consumed_at ? { consumed: row.consumed_at as number } : {}) } : undefined;
  return class SqliteAdapter implements Adapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      upsert.run(this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresIn ? now() + expiresIn : null);
    }
    async find(id: string) {
      return payloadOf(byId.get(this.model, id, now()));
    }
    async findByUserCode(userCode: string) {
      return payloadOf(byUserCode.get(this.model, userCode, now()));
    }
    async findByUid(uid: string) {
      return payloadOf(byUid.get(this.model, uid, now()));
    }
    async consume(id: string) {
      consume.run(now(), this.model, id);
    }
    async destroy(id: string) {
      destroy.run(this.model, id);
    }
    async revokeByGrantId(grantId: string) {
      revoke.run(grantId);
    }
  };
}

// Keys of its own, as a deployment has (not the development keys it warns about).
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const provider = new Provider(issuer, {
  jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' }] },
  ...(kind === 'sqlite' ? { adapter: sqliteAdapter(join(dir, 'oidc-provider.db')) } : {}),
  features: {
    registration: { enabled: true },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
    devInteractions: { enabled: false },
  },
});
provider.on('server_error', (_ctx: unknown, err: Error) => process.stderr.write(`peer server_error: ${err.message}\n`));
const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider (${kind}) listening on ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
