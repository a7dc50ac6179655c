// Watches the scripts folder and feeds changes to ScriptHost.reload, the one activation path.
// Changes are debounced per script (editors' atomic saves and chunked writes arrive as several
// events); editor temp files are ignored; anything unrecognised (a ConfigMap's ..data symlink
// swap) triggers a rescan, which leaves unchanged scripts alone.
import { mkdirSync } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { isEditorTemp, scriptNameOf } from './files.ts';
import type { ScriptHost } from './host.ts';

export const DEBOUNCE_MS = 100;
const POLL_INTERVAL_MS = 100;

export interface WatchOptions {
  /** Poll instead of relying on file-system events (bind mounts, network file systems). */
  polling: boolean;
  logger: Logger;
}

export function watchScripts(host: ScriptHost, options: WatchOptions): { close(): Promise<void>; ready: Promise<void> } {
  const timers = new Map<string, NodeJS.Timeout>();
  const schedule = (key: string, action: () => Promise<void>) => {
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        action().catch((err: unknown) => options.logger.error({ err }, 'script reload failed'));
      }, DEBOUNCE_MS),
    );
  };
  // A folder created later would not be seen: make sure it exists.
  mkdirSync(host.dir, { recursive: true });
  const watcher: FSWatcher = watch(host.dir, {
    ignoreInitial: true,
    depth: 1,
    usePolling: options.polling,
    interval: POLL_INTERVAL_MS,
    atomic: true,
  });
  const onEvent = (path: string) => {
    const name = scriptNameOf(path);
    const inFolder = path.slice(host.dir.length + 1).split('/').length === 1;
    if (name && inFolder) schedule(name, () => host.reload(name));
    else if (!isEditorTemp(path)) schedule('*rescan*', () => host.loadAll());
  };
  watcher.on('add', onEvent).on('change', onEvent).on('unlink', onEvent).on('addDir', onEvent).on('unlinkDir', onEvent);
  watcher.on('error', (err) => options.logger.error({ err }, 'watching the scripts folder failed'));
  // A change made while the watcher was starting (after the initial load, before the first poll
  // took its baseline) would be missed until the next one: rescan once, two intervals after ready.
  const ready = new Promise<void>((resolve) =>
    watcher.once('ready', () => {
      timers.set('*settle*', setTimeout(() => schedule('*rescan*', () => host.loadAll()), 2 * POLL_INTERVAL_MS));
      resolve();
    }),
  );
  return {
    ready,
    async close() {
      for (const timer of timers.values()) clearTimeout(timer);
      await watcher.close();
    },
  };
}
