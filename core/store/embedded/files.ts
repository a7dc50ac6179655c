// The embedded store's files, watched. SQLite keeps serving from a file that was deleted or
// replaced under it, and starts an empty database where one went missing, so on its own a lost
// file is served, not noticed. Here:
// - at open, the database's identity (a row it keeps) is compared with the one the data folder
//   records (store.json), and each process leaves a marker while it has the database open: an
//   emptied or replaced database, or an unclean stop whose write-ahead log is gone, refuses the
//   start unless DCR_ACCEPT_STORE_LOSS=true;
// - while open, every second: the database and its log must still be the files opened, and the
//   disk must have room (DCR_STORE_MIN_FREE_MB); otherwise writes are refused (503) and readiness
//   says why. Each change of state is logged once.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** Where the data folder records the identity of the store it holds. */
export const IDENTITY_FILE = 'store.json';
const OPEN_MARKER = '.registrar-open-';
/** This process's start, to tell its markers from a previous process with the same pid (a container's pid 1). */
const PROCESS_STARTED = Math.round(performance.timeOrigin);
/** After a write failed for want of room: the free space that counts as room returned, and the longest wait before writes are tried again. */
const ROOM_RETURNED = 1024 * 1024;
const FULL_RETRY_MS = 30_000;

export interface StoreFilesOptions {
  logger?: Logger;
  /** Open a store that shows it lost data (DCR_ACCEPT_STORE_LOSS=true): logged, then a new identity is recorded. */
  acceptLoss?: boolean;
  /** Writes are refused while the data folder's file system has less room than this (default 64 MiB). */
  minFreeBytes?: number;
  /** How often the files and the free space are checked (default 1000 ms). */
  checkIntervalMs?: number;
}

/** What the data folder showed before the database was opened. */
export interface Survey {
  recorded: { storeId?: string; createdAt?: string } | undefined;
  /** Markers of processes that had the database open and are gone: they did not close it. */
  unclean: string[];
  databaseExisted: boolean;
  logExisted: boolean;
}

/** Reads the data folder before SQLite touches anything there (opening creates the log). */
export function survey(dataDir: string, file: string): Survey {
  let recorded: Survey['recorded'];
  const identityFile = join(dataDir, IDENTITY_FILE);
  if (existsSync(identityFile)) {
    try {
      recorded = JSON.parse(readFileSync(identityFile, 'utf8')) as Survey['recorded'];
    } catch {
      recorded = {};
    }
  }
  const unclean = readdirSync(dataDir).filter((name) => name.startsWith(OPEN_MARKER) && !markerAlive(name));
  return { recorded, unclean, databaseExisted: existsSync(file), logExisted: existsSync(`${file}-wal`) };
}

/**
 * After a refused start: the empty files opening made (a database where there was none, a log
 * where the lost one was) go again, so the next start finds what this one found. Only empty
 * ones: a file with content is some other process's.
 */
export function leaveAsFound(file: string, seen: Survey): void {
  const removeIfEmpty = (path: string) => {
    try {
      if (statSync(path).size === 0) rmSync(path);
    } catch {
      // Gone already.
    }
  };
  if (!seen.logExisted) removeIfEmpty(`${file}-wal`);
  if (!seen.databaseExisted) removeIfEmpty(file);
}

function markerAlive(name: string): boolean {
  const [pid, started] = name.slice(OPEN_MARKER.length).split('-').map(Number);
  if (!Number.isInteger(pid)) return false;
  if (pid === process.pid) return started === PROCESS_STARTED;
  try {
    process.kill(pid!, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A start refused: the store shows it lost what it held. The message says what and how to start anyway. */
export class StoreLoss extends TypeError {}

/** The identity the database keeps; undefined when it keeps none (new, emptied, or made before identities). */
export type IdentityRow = { storeId: string; createdAt: number } | undefined;

/**
 * Decides whether the opened database is the store the data folder held; returns the identity
 * to keep (a new one for a new store, or after an accepted loss). Throws StoreLoss otherwise.
 */
export function admit(seen: Survey, row: IdentityRow, dataDir: string, file: string, options: StoreFilesOptions): { storeId: string; createdAt: number; isNew: boolean } {
  const losses: string[] = [];
  const recordedId = seen.recorded?.storeId;
  if (seen.recorded && !row) {
    losses.push(`the database ${file} holds no store, but ${join(dataDir, IDENTITY_FILE)} records store ${recordedId ?? '(unreadable)'} kept there: it was emptied, replaced or removed`);
  } else if (row && recordedId !== undefined && row.storeId !== recordedId) {
    losses.push(`the database ${file} is store ${row.storeId}, but ${join(dataDir, IDENTITY_FILE)} records store ${recordedId}: the file was replaced`);
  }
  if (seen.unclean.length > 0 && !seen.logExisted) {
    losses.push(`the database was not closed cleanly (${seen.unclean.join(', ')}) and its write-ahead log ${file}-wal is gone: the writes it held are lost`);
  }
  if (losses.length > 0 && !options.acceptLoss) {
    throw new StoreLoss(`${losses.join('; ')}. Restore the files, or set DCR_ACCEPT_STORE_LOSS=true to start on what is there.`);
  }
  if (losses.length > 0) options.logger?.error({ losses, file }, 'the embedded store lost data; starting on what is there (DCR_ACCEPT_STORE_LOSS=true)');
  if (row && losses.length === 0) return { ...row, isNew: false };
  return { storeId: randomUUID(), createdAt: Date.now(), isNew: true };
}

/** Records the store's identity in the data folder (written whole, then renamed into place). */
export function recordIdentity(dataDir: string, identity: { storeId: string; createdAt: number }): void {
  const target = join(dataDir, IDENTITY_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  const text = JSON.stringify({ storeId: identity.storeId, createdAt: new Date(identity.createdAt).toISOString(), note: 'The identity of the store in registrar.db. Registrar refuses to start on a database that is not this store.' }, null, 2);
  writeFileSync(temporary, text + '\n', { mode: 0o600 });
  renameSync(temporary, target);
}

type Identity = Pick<Stats, 'dev' | 'ino'>;

/** The open database's files and room, checked every second; writes go through `writable()`. */
export class StoreFiles {
  readonly #dataDir: string;
  readonly #file: string;
  readonly #marker: string;
  readonly #logger: Logger | undefined;
  readonly #minFree: number;
  readonly #opened: { db: Identity; log: Identity | undefined };
  readonly #timer: NodeJS.Timeout;
  /** Why writes are refused, or undefined while they are taken. */
  #problem: string | undefined;
  /** A write failed for want of room, with this much free then: refused until room grows or a while has passed. */
  #full: { free: number; at: number } | undefined;

  constructor(dataDir: string, file: string, options: StoreFilesOptions) {
    this.#dataDir = dataDir;
    this.#file = file;
    this.#logger = options.logger;
    this.#minFree = options.minFreeBytes ?? 64 * 1024 * 1024;
    this.#opened = { db: statSync(file), log: existsSync(`${file}-wal`) ? statSync(`${file}-wal`) : undefined };
    this.#marker = join(dataDir, `${OPEN_MARKER}${process.pid}-${PROCESS_STARTED}-${randomUUID().slice(0, 8)}`);
    writeFileSync(this.#marker, `${JSON.stringify({ pid: process.pid, openedAt: new Date().toISOString() })}\n`, { mode: 0o600 });
    this.#check();
    this.#timer = setInterval(() => this.#check(), options.checkIntervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Why the store cannot take a write now, or undefined when it can. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** A write failed with SQLITE_FULL: further writes are refused until the disk has more room, or for FULL_RETRY_MS. */
  noteFull(): void {
    if (this.#full) return;
    this.#full = { free: this.#free() ?? 0, at: Date.now() };
    this.#check();
  }

  #free(): number | undefined {
    try {
      const stats = statfsSync(this.#dataDir);
      return stats.bavail * stats.bsize;
    } catch {
      return undefined;
    }
  }

  #check(): void {
    const problem = this.#filesProblem() ?? this.#roomProblem();
    if (problem === this.#problem) return;
    if (problem) this.#logger?.error({ file: this.#file, reason: problem }, 'the embedded store refuses writes');
    else this.#logger?.info({ file: this.#file, was: this.#problem }, 'the embedded store takes writes again');
    this.#problem = problem;
  }

  #filesProblem(): string | undefined {
    const moved = (path: string, opened: Identity | undefined, what: string): string | undefined => {
      if (!opened) return undefined;
      let now: Stats;
      try {
        now = statSync(path);
      } catch {
        return `${what} ${path} was removed while open`;
      }
      return now.ino === opened.ino && now.dev === opened.dev ? undefined : `${what} ${path} was replaced while open`;
    };
    return moved(this.#file, this.#opened.db, 'the database') ?? moved(`${this.#file}-wal`, this.#opened.log, 'the write-ahead log');
  }

  #roomProblem(): string | undefined {
    const free = this.#free();
    if (free === undefined) return `the data folder ${this.#dataDir} cannot be read`;
    if (free < this.#minFree) return `the disk of ${this.#dataDir} has ${Math.floor(free / 1024 / 1024)} MB free, under DCR_STORE_MIN_FREE_MB (${Math.round(this.#minFree / 1024 / 1024)})`;
    const full = this.#full;
    if (!full) return undefined;
    // Room seen to return, or, when the file system does not show it (a quota), a while passed: writes are tried again.
    if (free >= full.free + ROOM_RETURNED || Date.now() - full.at >= FULL_RETRY_MS) {
      this.#full = undefined;
      return undefined;
    }
    return `the disk of ${this.#dataDir} is full: a write failed for want of room`;
  }

  /**
   * Stops watching and takes this process's marker away, after the store's last write is in the
   * database file; call before closing the database, so a stop between the two is no loss.
   */
  close(): void {
    clearInterval(this.#timer);
    rmSync(this.#marker, { force: true });
  }

  /** After the database closed: when this process was the last (the log is gone, all in the file), markers left by processes that died are moot. */
  tidy(): void {
    if (this.#problem || existsSync(`${this.#file}-wal`)) return;
    try {
      for (const name of readdirSync(this.#dataDir)) if (name.startsWith(OPEN_MARKER) && !markerAlive(name)) rmSync(join(this.#dataDir, name), { force: true });
    } catch {
      // The folder went: nothing to tidy.
    }
  }
}

/** Removes the markers of processes gone, once their log was found (SQLite recovers from it). */
export function clearUnclean(dataDir: string, seen: Survey): void {
  for (const name of seen.unclean) rmSync(join(dataDir, name), { force: true });
}
