// npm run build (and npm pack, through prepack): dist/ from the sources, which stay the single
// truth (a checkout runs them directly with Node's type stripping; Node strips no types inside
// node_modules, so an install runs dist/). Files the code reads at run time beside itself go along.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, '.ci', 'tsconfig.build.json')], { stdio: 'inherit' });
// The console's page, script and style; the isolate runtime's declaration of the bundled URL module.
cpSync(join(root, 'core/admin/console'), join(dist, 'core/admin/console'), { recursive: true });
cpSync(join(root, 'core/sandbox/runtime/whatwgUrl.d.ts'), join(dist, 'core/sandbox/runtime/whatwgUrl.d.ts'));
// The script types (registrar/scripts), pointing at the runtime's built declarations rather than its sources.
const types = readFileSync(join(root, 'scripts/registrar.d.ts'), 'utf8');
const built = types.replace("from '../core/sandbox/runtime/web.ts'", "from '../core/sandbox/runtime/web.js'");
if (built === types) throw new Error('scripts/registrar.d.ts no longer imports the runtime as the build expects');
mkdirSync(join(dist, 'scripts'), { recursive: true });
writeFileSync(join(dist, 'scripts/registrar.d.ts'), built);
console.log(`built ${dist}`);
