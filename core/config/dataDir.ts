// DCR_DATA_DIR, made ready before anything is written there: created (owner only) when missing,
// and proved writable, or a clear error naming the path at once. Node's recursive mkdir can spin
// forever on some paths (/proc/x), so parents are created one level at a time, within a bound.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { messageOf } from '../errors/index.ts';

const MAX_DEPTH = 64;

function makeDirectory(dir: string, depth: number): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw new TypeError(`DCR_DATA_DIR: ${dir} is not a directory`);
      return;
    }
    const parent = dirname(dir);
    if (code === 'ENOENT' && depth < MAX_DEPTH && parent !== dir && !existsSync(parent)) {
      makeDirectory(parent, depth + 1);
      return makeDirectory(dir, MAX_DEPTH);
    }
    throw new TypeError(`DCR_DATA_DIR: cannot create ${dir} (${code ?? messageOf(err)})`);
  }
}

/** Creates the data directory when missing and proves it writable; throws a TypeError naming the path. */
export function prepareDataDir(dataDir: string): void {
  const dir = resolve(dataDir);
  makeDirectory(dir, 0);
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, '', { mode: 0o600 });
    rmSync(probe, { force: true });
  } catch (err) {
    throw new TypeError(`DCR_DATA_DIR: ${dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? messageOf(err)})`);
  }
}
