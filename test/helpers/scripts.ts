// A server whose scripts folder the test writes, with reloads driven through ScriptHost.reload
// (the same path the file watcher takes) so tests never sleep to synchronise.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir, type TestServer } from './server.ts';

export interface ScriptServer extends TestServer {
  scriptsDir: string;
  /** Writes name.js (or the given file name) and, if given, name.json; then activates it. */
  put(name: string, code: string, settings?: Record<string, unknown>, extension?: 'js' | 'ts'): Promise<void>;
  drop(name: string): Promise<void>;
}

export async function startScriptServer(scripts: Record<string, string | [string, Record<string, unknown>]> = {}, options: Parameters<typeof startServer>[0] = {}): Promise<ScriptServer> {
  const dataDir = options.dataDir ?? tempDir();
  const scriptsDir = join(dataDir, 'scripts');
  mkdirSync(scriptsDir, { recursive: true });
  const server = await startServer({ ...options, dataDir });
  const write = (name: string, code: string, settings?: Record<string, unknown>, extension = 'js') => {
    writeFileSync(join(scriptsDir, `${name}.${extension}`), code);
    if (settings) writeFileSync(join(scriptsDir, `${name}.json`), JSON.stringify(settings));
  };
  const result: ScriptServer = {
    ...server,
    scriptsDir,
    async close() {
      await server.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async put(name, code, settings, extension = 'js') {
      write(name, code, settings, extension);
      await server.registrar.scripts.reload(name);
    },
    async drop(name) {
      for (const ext of ['js', 'ts', 'json']) rmSync(join(scriptsDir, `${name}.${ext}`), { force: true });
      await server.registrar.scripts.reload(name);
    },
  };
  for (const [name, entry] of Object.entries(scripts)) {
    const [code, settings] = Array.isArray(entry) ? entry : [entry, undefined];
    await result.put(name, code, settings);
  }
  return result;
}

export function scriptStatus(server: TestServer, name: string): any {
  return server.registrar.scripts.status().find((s) => s.name === name);
}

/** The four general samples of scripts/, off as shipped. */
export const SAMPLES = ['abuse-guard', 'add-scope', 'response-member', 'trusted-client'] as const;
const SHIPPED = new URL('../../scripts/', import.meta.url).pathname;

/** Copies the shipped scripts folder (or `names` of it) into `dir`, as shipped. */
export function copyShipped(dir: string, names?: ReadonlyArray<string>): void {
  for (const file of readdirSync(SHIPPED)) {
    const name = file.replace(/\.(js|ts|json)$/, '');
    if (!names || names.includes(name)) cpSync(join(SHIPPED, file), join(dir, file));
  }
}

/** The one documented step that turns a sample on: `"enabled": true` in its settings file. */
export function enableSample(dir: string, name: string): void {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>), enabled: true }, null, 2));
}
