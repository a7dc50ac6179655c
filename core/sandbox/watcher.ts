// Watches the scripts folder and feeds changes to ScriptHost.reload, the one activation path.
// Changes are debounced per script (editors' atomic saves and chunked writes arrive as several
// events); editor temp files are ignored; anything unrecognised (a ConfigMap's ..data symlink
// swap) triggers a rescan, which leaves unchanged scripts alone.
import { mkdirSync } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { filesState, isEditorTemp, scriptNameOf } from './files.ts';
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
  // A script is reloaded once its files stood still across the debounce: a save still being
  // written (size or modification time moving) waits for another round.
  const seen = new Map<string, Promise<string>>();
  const reloadWhenSettled = (name: string) => async (): Promise<void> => {
    const before = await seen.get(name);
    const now = await filesState(host.dir, name);
    if (before !== now) {
      seen.set(name, Promise.resolve(now));
      schedule(name, reloadWhenSettled(name));
      return;
    }
    seen.delete(name);
    await host.reload(name);
  };
  const onEvent = (path: string) => {
    const name = scriptNameOf(path);
    const inFolder = path.slice(host.dir.length + 1).split('/').length === 1;
    if (name && inFolder) {
      seen.set(name, filesState(host.dir, name));
      schedule(name, reloadWhenSettled(name));
    }
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
