// Generated documentation and types: `npm run docs` writes them; test/docs checks they are current.
// This folder sits on the top floor: it reads every declaration (configuration, hooks, plugins).
import { readFileSync, writeFileSync } from 'node:fs';
import { BUILTIN_PLUGINS } from '../../plugins/index.ts';
import { serverMapping } from './authorizationServers.ts';
import { configurationReference } from './configuration.ts';
import { hookTable } from './hooks.ts';
import { scriptTypes } from './scriptTypes.ts';

export interface GeneratedFile {
  /** Path from the repository root. */
  path: string;
  /** The file's content as it should be, given what it holds now. */
  render(current: string): string;
}

/** Replaces what stands between `<!-- name:start -->` and `<!-- name:end -->`. */
function section(name: string, content: () => string) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  return (current: string) => {
    const from = current.indexOf(start);
    const to = current.indexOf(end);
    if (from < 0 || to < 0) throw new Error(`the ${start} / ${end} markers are missing`);
    return `${current.slice(0, from + start.length)}\n${content()}\n${current.slice(to)}`;
  };
}

export const GENERATED: ReadonlyArray<GeneratedFile> = [
  { path: 'docs/configuration.md', render: () => configurationReference(BUILTIN_PLUGINS) },
  { path: 'docs/scripts.md', render: section('hook-table', hookTable) },
  { path: 'docs/authorization-servers.md', render: section('server-mapping', serverMapping) },
  { path: 'scripts/registrar.d.ts', render: () => scriptTypes(BUILTIN_PLUGINS) },
];

const root = new URL('../../', import.meta.url);

if (import.meta.main) {
  for (const file of GENERATED) {
    const target = new URL(file.path, root);
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // written for the first time
    }
    writeFileSync(target, file.render(current));
  }
}
