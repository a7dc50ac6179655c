// WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside whichever
// commit crosses the threshold, on the event loop: it copies pages from the WAL into the database
// file and syncs it while every request waits. Here a worker thread with its own connection
// checkpoints soon after writes (PASSIVE: it never blocks a reader or a writer), and the
// serving connection's own automatic checkpoint stays only as a backstop at a much larger WAL.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** How soon after a write the thread checkpoints: the writes meanwhile share one checkpoint, so pages written again and again are copied once. */
const DELAY_MS = 500;

/** WAL pages after which the serving connection checkpoints by itself (the thread being stuck or gone). */
export const BACKSTOP_PAGES = 20_000;

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.file);
db.exec('PRAGMA busy_timeout = 1000');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    process.exit(0); // ends this thread only
  }
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failing: the next write asks again, and the backstop still holds.
  }
});
`;

export class Checkpointer {
  readonly #file: string;
  #worker: Worker | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(file: string) {
    this.#file = file;
  }

  /** A write was committed: a checkpoint follows soon. */
  wrote(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#thread().postMessage('checkpoint');
    }, DELAY_MS);
    this.#timer.unref();
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(SOURCE, { eval: true, workerData: { file: this.#file } });
    worker.unref();
    // A thread that failed is started again at the next write.
    const gone = () => {
      if (this.#worker === worker) this.#worker = undefined;
    };
    worker.once('error', gone);
    worker.once('exit', gone);
    return (this.#worker = worker);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const worker = this.#worker;
    if (!worker) return;
    const exited = once(worker, 'exit');
    // Held until it has closed its connection, even when nothing else keeps the process running.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }
}
