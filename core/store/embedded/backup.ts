// An online backup of the embedded store: SQLite's backup API copies a consistent snapshot page by
// page while the server keeps serving (writers are not blocked). The copy is a database of its own
// with the store's identity in it, restored by putting it in place of registrar.db while the server
// is stopped (docs/operations.md).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';

/** Copies the store in `dataDir` to `destination` (which must not exist); how many pages were copied. */
export async function backupEmbedded(dataDir: string, destination: string): Promise<number> {
  const file = join(dataDir, 'registrar.db');
  if (!existsSync(file)) throw new TypeError(`no embedded store at ${file}`);
  if (existsSync(destination)) throw new TypeError(`${destination} exists; name a new file`);
  const source = new DatabaseSync(file, { readOnly: true });
  try {
    source.exec('PRAGMA busy_timeout = 5000');
    return await backup(source, destination);
  } finally {
    source.close();
  }
}
