// Files plugins read on a script's behalf (a directory's trust anchors): only regular files inside
// one folder (DCR_PLUGIN_FILES_DIR), named relative to it, up to a size, read off the event loop.
// Opened without following a last-component symlink and without blocking (a FIFO opens at once
// and is refused as not a regular file), then checked on the open handle, so what is read is what
// was checked. What a script or a replay names outside the folder is refused without a look.
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { PluginCallError } from './contract.ts';

/** The most any plugin file may hold. */
export const MAX_PLUGIN_FILE_BYTES = 1024 * 1024;

export function pluginFiles(folder: string): (name: string, maxBytes?: number) => Promise<string> {
  const root = resolve(folder);
  return async (name, maxBytes = MAX_PLUGIN_FILE_BYTES) => {
    const path = resolve(root, name);
    const inside = (parent: string, child: string) => {
      const rel = relative(parent, child);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    };
    const refused = (why: string) => new PluginCallError(`the plugin file "${name}" cannot be read: ${why}`);
    if (!inside(root, path)) throw refused('it is not inside the plugin files folder (DCR_PLUGIN_FILES_DIR)');
    let realRoot: string;
    let realParent: string;
    try {
      [realRoot, realParent] = await Promise.all([realpath(root), realpath(dirname(path))]);
    } catch {
      throw refused('it does not exist');
    }
    if (realParent !== realRoot && !inside(realRoot, realParent)) throw refused('it is not inside the plugin files folder (DCR_PLUGIN_FILES_DIR)');
    let handle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw refused(code === 'ENOENT' ? 'it does not exist' : code === 'ELOOP' ? 'it is a symbolic link' : 'it cannot be opened');
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw refused('it is not a regular file');
      const limit = Math.min(maxBytes, MAX_PLUGIN_FILE_BYTES);
      if (info.size > limit) throw refused(`it is larger than ${limit} bytes`);
      const buffer = Buffer.alloc(info.size);
      const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  };
}
