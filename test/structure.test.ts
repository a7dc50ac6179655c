// The structure docs/architecture.md declares, held against the code: every folder of core/ (and
// plugins/, scripts/) sits on one of the floors listed there, a module imports only from its own
// folder and from floors below its own, no modules import each other in a circle, and only
// core/config reads the environment. The floors are read from the document, so it cannot drift.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCES = ['core', 'plugins', 'scripts'];

/** The floors, top first: each a list of folders (core/<name>, or a file at core/'s top, or plugins, scripts). */
function declaredFloors(): string[][] {
  const text = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const block = /```floors\n([\s\S]*?)```/.exec(text);
  assert.ok(block, 'docs/architecture.md has a ```floors block');
  return block[1]!
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/));
}

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js)$/.test(name) && !name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const source of SOURCES) walk(join(ROOT, source));
  return files;
}

/** The room a file belongs to: core/<folder> (or a file at core/'s top, core/index.ts), or the top folder. */
function roomOf(file: string): string {
  const parts = relative(ROOT, file).split('/');
  return parts[0] === 'core' ? `core/${parts[1]}` : parts[0]!;
}

/** Relative imports and re-exports (static, dynamic, type-only), as the files they name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!);
  return specifiers.map((specifier) => resolve(dirname(file), specifier));
}

const files = sourceFiles();
const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => target.startsWith(ROOT + '/'))]));

describe('structure', () => {
  it('every folder is on a floor of docs/architecture.md, and imports point only down', () => {
    const floors = declaredFloors();
    const floorOf = new Map<string, number>();
    floors.forEach((rooms, level) => rooms.forEach((room) => floorOf.set(room, level)));
    const unplaced = [...new Set(files.map(roomOf))].filter((room) => !floorOf.has(room));
    assert.deepEqual(unplaced, [], 'folders missing from the floors of docs/architecture.md');
    const listedButGone = [...floorOf.keys()].filter((room) => !files.some((file) => roomOf(file) === room));
    assert.deepEqual(listedButGone, [], 'floors of docs/architecture.md naming what is not there');
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = roomOf(file);
      for (const target of targets) {
        const to = roomOf(target);
        if (from === to) continue;
        if (floorOf.get(to)! <= floorOf.get(from)!) upward.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)} (${from} may use only floors below its own)`);
      }
    }
    assert.deepEqual(upward, []);
  });

  it('no modules import each other in a circle', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const target of graph.get(file) ?? []) {
        if (!graph.has(target)) continue;
        if (state.get(target) === 'open') circles.push([...path.slice(path.indexOf(target)), target].map((f) => relative(ROOT, f)).join(' -> '));
        else if (!state.has(target)) visit(target);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    assert.deepEqual(circles, []);
  });

  it('only core/config reads the environment (the command line passes it on to the processes it starts)', () => {
    const readers = files
      .filter((file) => /process\.env\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file))
      .filter((file) => !file.startsWith('core/config/'));
    assert.deepEqual(readers, ['core/cli/typeCheck.ts']);
  });
});
