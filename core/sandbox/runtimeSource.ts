// The in-isolate runtime's source (runtime/*.ts): type-checked with the project, stripped of its
// types once per process, compiled into every script isolate.
import { readdirSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';

const folder = new URL('./runtime/', import.meta.url);

/** The module every script isolate imports first. */
export const RUNTIME_ROOT = 'runtime.ts';

/** File name → JavaScript, for every runtime module. */
export const RUNTIME_MODULES: ReadonlyMap<string, string> = new Map(
  readdirSync(folder)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => [file, stripTypeScriptTypes(readFileSync(new URL(file, folder), 'utf8'))]),
);
