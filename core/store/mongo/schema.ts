// The MongoDB store's schema version, kept in `meta` ({ _id: 'schema', version }), and the steps
// that bring a database written by an earlier Registrar to it (indexes are made by each role).
import type { Db } from 'mongodb';

/** The schema this version writes; 0 is a database written before versions. */
export const SCHEMA_VERSION = 1;

const MIGRATIONS: ReadonlyArray<{ to: number; what: string; run(db: Db): Promise<void> }> = [
  {
    to: 1,
    what: 'decision records kept by age: the per-record expiry index goes',
    async run(db) {
      for (const name of ['expires_at_ttl', 'expires_at']) await db.collection('decisions').dropIndex(name).catch(() => undefined);
    },
  },
];

interface Meta {
  _id: 'schema';
  version: number;
}

export async function schemaVersion(db: Db): Promise<number> {
  return (await db.collection<Meta>('meta').findOne({ _id: 'schema' }))?.version ?? 0;
}

/** Refuses a database a newer Registrar wrote; brings an older one forward. The steps taken, for the log. */
export async function migrate(db: Db, where: string): Promise<Array<{ to: number; what: string }>> {
  const from = await schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new TypeError(`the MongoDB database ${where} has schema ${from}, written by a newer Registrar; this one knows schemas up to ${SCHEMA_VERSION}: run the newer version, or restore a backup made for this one`);
  }
  const steps = MIGRATIONS.filter((step) => step.to > from);
  for (const step of steps) {
    await step.run(db);
    await db.collection<Meta>('meta').updateOne({ _id: 'schema' }, { $set: { version: step.to } }, { upsert: true });
  }
  return steps.map(({ to, what }) => ({ to, what }));
}
