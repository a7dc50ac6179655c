// The in-isolate runtime's source (runtime/*.ts): type-checked with the project, stripped of its
// types once per process, compiled into every script isolate. Beside it, whatwg-url (the URL
// Standard's reference implementation, with tr46's UTS #46 mapping) is bundled from its CommonJS
// files into one module, `whatwgUrl.js`, so a script's URL parses hosts as Node and browsers do;
// it is evaluated when a script first reaches URL or URLSearchParams.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire, stripTypeScriptTypes } from 'node:module';
import { dirname, relative } from 'node:path';

const folder = new URL('./runtime/', import.meta.url);
// TypeScript in a checkout (types stripped here), JavaScript in a built package (dist/).
const EXTENSION = existsSync(new URL('runtime.ts', folder)) ? '.ts' : '.js';

/** The module every script isolate imports first. */
export const RUNTIME_ROOT = `runtime${EXTENSION}`;

/**
 * One ES module defining `entry` and every file it requires, as CommonJS modules in a table, run
 * on the first call of its export `required()`, which answers the entry's exports (an isolate
 * whose script never uses them never pays for them). `globals` are imported from runtime modules
 * and seen by the CommonJS code as globals (TextEncoder, ...).
 */
export function bundleCommonJs(entry: string, globals: Record<string, string> = {}): string {
  const ids = new Map<string, number>();
  const definitions: string[] = [];
  const root = dirname(createRequire(import.meta.url).resolve('whatwg-url/package.json'));
  const add = (file: string): number => {
    const known = ids.get(file);
    if (known !== undefined) return known;
    const id = ids.size;
    ids.set(file, id);
    const source = readFileSync(file, 'utf8');
    const requireOf = createRequire(file);
    const links: Record<string, number> = {};
    if (!file.endsWith('.json')) {
      for (const [, specifier] of source.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) links[specifier!] = add(requireOf.resolve(specifier!));
    }
    const body = file.endsWith('.json') ? `module.exports = ${source};` : source;
    definitions[id] = `// ${relative(root, file)}\n[${JSON.stringify(links)}, function (module, exports, require) {\n${body}\n}]`;
    return id;
  };
  const start = add(createRequire(import.meta.url).resolve(entry));
  const imports = Object.entries(globals).map(([module, bindings]) => `import { ${bindings} } from './${module}';`);
  return `${imports.join('\n')}
const definitions = [
${definitions.join(',\n')}
];
const loaded = new Map();
function load(id) {
  let module = loaded.get(id);
  if (module) return module.exports;
  module = { exports: {} };
  loaded.set(id, module);
  const [links, define] = definitions[id];
  define.call(module.exports, module, module.exports, (specifier) => {
    if (!(specifier in links)) throw new Error('the bundle holds no module ' + specifier);
    return load(links[specifier]);
  });
  return module.exports;
}
export const required = () => load(${start});
`;
}

/** File name → JavaScript, for every runtime module. */
export const RUNTIME_MODULES: ReadonlyMap<string, string> = new Map([
  ...readdirSync(folder)
    .filter((file) => file.endsWith(EXTENSION) && !file.endsWith('.d.ts'))
    .map((file): [string, string] => {
      const text = readFileSync(new URL(file, folder), 'utf8');
      return [file, EXTENSION === '.ts' ? stripTypeScriptTypes(text) : text];
    }),
  ['whatwgUrl.js', bundleCommonJs('whatwg-url', { [`encoding${EXTENSION}`]: 'TextEncoder, TextDecoder' })],
]);
