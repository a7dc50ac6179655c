// Where Registrar's own files are: the package root (the folder of its package.json), from a
// checkout (core/... beside it) or from an install (dist/core/... below it), and its version.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'registrar') return dir;
    if (dirname(dir) === dir) throw new Error("Registrar's package.json was not found above its code");
  }
}

/** The folder holding Registrar's package.json. */
export const PACKAGE_ROOT = findRoot();

/** Registrar's version (package.json). */
export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
