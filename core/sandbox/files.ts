// The scripts folder: which files are scripts or their settings, and reading one script's pair.
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

const SCRIPT_FILE = /^[A-Za-z0-9][\w.-]*\.(js|ts|json)$/;

/** Editors' temporary and backup files: never a script, never a reason to rescan. */
export const isEditorTemp = (file: string): boolean => /(~|\.swp|\.swx|\.tmp|\.bak)$/.test(file);

/** The script a file belongs to (`x.js`, `x.ts`, `x.json` → `x`), or undefined for files to ignore. */
export function scriptNameOf(file: string): string | undefined {
  const name = basename(file);
  if (name.startsWith('.') || isEditorTemp(name) || name.endsWith('.d.ts') || !SCRIPT_FILE.test(name)) return undefined;
  return name.slice(0, -extname(name).length);
}

export interface ScriptSource {
  file: string;
  text: string;
  /** The file changed while it was read (an in-place save in progress): its text is not to be trusted. */
  changing: boolean;
}

const fingerprint = async (file: string) => {
  const info = await stat(file);
  return `${info.size}:${info.mtimeMs}:${info.ino}`;
};

const absent = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** The script's source (`.js` first, then `.ts`), or undefined when there is none; throws when one is there but cannot be read. */
export async function readScriptSource(dir: string, name: string): Promise<ScriptSource | undefined> {
  for (const ext of ['.js', '.ts']) {
    const file = join(dir, `${name}${ext}`);
    try {
      const before = await fingerprint(file);
      const text = await readFile(file, 'utf8');
      return { file, text, changing: (await fingerprint(file)) !== before };
    } catch (err) {
      // Gone between the two reads, or never there: try the next extension.
      if (!absent(err)) throw err;
    }
  }
  return undefined;
}

/** Size and modification time of a script's files, to tell when a save has settled. */
export async function filesState(dir: string, name: string): Promise<string> {
  const states = await Promise.all(['.js', '.ts', '.json'].map((ext) => fingerprint(join(dir, `${name}${ext}`)).catch(() => '-')));
  return states.join('|');
}

/** The text of the script's settings file, or undefined when there is none; throws when it is there but cannot be read. */
export async function readSettingsText(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, `${name}.json`), 'utf8');
  } catch (err) {
    if (absent(err)) return undefined;
    throw err;
  }
}
