// Type-checks scripts against exactly what the sandbox offers (scripts/registrar.d.ts, the
// ECMAScript library, no Node.js): TypeScript scripts fully; JavaScript scripts for the globals
// they use that the sandbox does not have (fetch, process, require, setTimeout, ...).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../config/index.ts';

/** The sandbox's declarations, beside the shipped scripts. */
export const SCRIPT_TYPES = join(PACKAGE_ROOT, 'scripts', 'registrar.d.ts');

/** TypeScript's "cannot find name" and "cannot find module" family: a global or module the sandbox does not have. */
const UNKNOWN_NAME = new Set(['2307', '2304', '2552', '2580', '2581', '2582', '2591', '2593']);

export const COMPILER_OPTIONS = {
  target: 'es2024',
  lib: ['es2024'],
  types: [],
  module: 'esnext',
  moduleResolution: 'bundler',
  strict: true,
  noEmit: true,
  allowJs: true,
  checkJs: true,
  allowImportingTsExtensions: true,
  verbatimModuleSyntax: true,
};

export interface TypeCheckResult {
  /** `file(line,col): message` for each problem. */
  problems: string[];
}

/** Undefined when TypeScript is not installed. */
export function typeCheckScripts(files: string[]): TypeCheckResult | undefined {
  let tsc: string;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'registrar-types-'));
  try {
    const project = join(dir, 'tsconfig.json');
    writeFileSync(project, JSON.stringify({ compilerOptions: COMPILER_OPTIONS, files: [SCRIPT_TYPES, ...files.map((file) => resolve(file))] }));
    // tsc runs as a plain process, whatever runs this one (a test runner marks its children by environment).
    const { NODE_TEST_CONTEXT: _runner, ...env } = process.env;
    const result = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { encoding: 'utf8', env });
    const problems = `${result.stdout}${result.stderr}`
      .split('\n')
      .map((line) => /^(.+?)\((\d+),(\d+)\): error TS(\d+): (.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .filter(([, file = '', , , code = '']) => !file.endsWith('.js') || UNKNOWN_NAME.has(code))
      .map(([, file, line, column, code, message]) =>
        UNKNOWN_NAME.has(code ?? '') ? `${file}(${line},${column}): not available in the sandbox: ${message}` : `${file}(${line},${column}): ${message}`,
      );
    if (result.status !== 0 && problems.length === 0 && !/error TS/.test(result.stdout)) problems.push(`tsc failed: ${result.stderr.trim()}`);
    return { problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
