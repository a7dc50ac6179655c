// The floor of this stack for a registration: Koa, the JSON body read and parsed, two random
// credentials, one durable node:sqlite insert (WAL, synchronous NORMAL, as Registrar's store), the
// answer. No validation, no policy, no decision record: what any registration server on Koa and
// SQLite pays at least.   Run: node bench/floor.ts PORT DIR
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import Koa from 'koa';

const port = Number(process.argv[2] ?? 3000);
const db = new DatabaseSync(join(process.argv[3] ?? '.', 'floor.db'));
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
  CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, document TEXT NOT NULL, created_at INTEGER NOT NULL)`);
const insert = db.prepare('INSERT INTO clients (client_id, document, created_at) VALUES (?, ?, ?)');

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method !== 'POST' || ctx.path !== '/register') ctx.throw(404);
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const metadata = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  const client = { ...metadata, client_id: randomUUID(), client_secret: randomBytes(32).toString('base64url'), registration_access_token: randomBytes(32).toString('base64url') };
  insert.run(client.client_id, JSON.stringify(client), Date.now());
  ctx.status = 201;
  ctx.body = client;
});
const server = app.listen(port, '127.0.0.1', () => process.stdout.write(`floor listening on http://127.0.0.1:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
