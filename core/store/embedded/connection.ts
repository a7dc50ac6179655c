// The one SQLite connection the embedded store's roles share: statements prepared once (the
// dynamic ones, filters, come from a small set of texts), rows read through one typed path,
// every call guarded (a locked or failing database is a retryable 503, never a client error),
// writes refused at once while the files are lost or the disk has no room, and each write
// telling the checkpointer. Purges delete in batches and give the freed pages back.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { TemporarilyUnavailable } from '../../errors/index.ts';
import type { Checkpointer } from './checkpointer.ts';
import type { StoreFiles } from './files.ts';

/** SQLite's result codes read here. */
const SQLITE_FULL = 13;
const SQLITE_CONSTRAINT = 19;
/** Rows one purge statement deletes: the write lock is held for one batch at a time. */
const PURGE_BATCH = 2000;
/** Free pages one incremental vacuum step gives back to the file system. */
const RECLAIM_PAGES = 1024;

const unavailable = (cause?: unknown) => new TemporarilyUnavailable('the client store is unavailable, try again', 2, cause);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A row holding one JSON document (`doc`), as every table keeps its records. */
interface DocumentRow {
  doc: string;
}

export class Connection {
  readonly db: DatabaseSync;
  readonly #files: StoreFiles;
  readonly #checkpointer: Checkpointer;
  readonly #logger: Logger | undefined;
  readonly #statements = new Map<string, StatementSync>();
  #reclaiming: Promise<void> | undefined;
  #closing = false;

  constructor(db: DatabaseSync, files: StoreFiles, checkpointer: Checkpointer, logger: Logger | undefined) {
    this.db = db;
    this.#files = files;
    this.#checkpointer = checkpointer;
    this.#logger = logger;
  }

  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** A read. */
  read<T>(operation: () => T): T {
    try {
      return operation();
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** A write: refused at once while the files are lost or the disk has no room; the checkpointer is told. */
  write<T>(operation: () => T): T {
    if (this.#files.problem) throw unavailable();
    const result = this.read(operation);
    this.#checkpointer.wrote();
    return result;
  }

  get<R>(sql: string, ...values: SQLInputValue[]): R | undefined {
    return this.read(() => this.statement(sql).get(...values)) as R | undefined;
  }

  all<R>(sql: string, ...values: SQLInputValue[]): R[] {
    return this.read(() => this.statement(sql).all(...values)) as R[];
  }

  /** A write statement; how many rows it changed. */
  run(sql: string, ...values: SQLInputValue[]): number {
    return Number(this.write(() => this.statement(sql).run(...values)).changes);
  }

  /** The record in the `doc` column of the row found, if any. */
  document<T>(sql: string, ...values: SQLInputValue[]): T | undefined {
    const row = this.get<DocumentRow>(sql, ...values);
    return row ? (JSON.parse(row.doc) as T) : undefined;
  }

  documents<T>(sql: string, ...values: SQLInputValue[]): T[] {
    return this.all<DocumentRow>(sql, ...values).map((row) => JSON.parse(row.doc) as T);
  }

  /** What a failed call answers: a constraint (a duplicate id) as itself, anything else as a retryable outage; a full disk is noted. */
  failure(err: unknown): unknown {
    const code = (err as { errcode?: number }).errcode;
    if (code === SQLITE_CONSTRAINT || err instanceof TemporarilyUnavailable) return err;
    if (code === SQLITE_FULL) this.#files.noteFull();
    return unavailable(err);
  }

  /**
   * Deletes with `sql` (which takes the bound, then the batch size) in batches, each its own
   * short write, then gives the freed pages back to the file system. Returns how many rows went.
   */
  async purge(sql: string, bound: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const changes = this.run(sql, bound, PURGE_BATCH);
      deleted += changes;
      if (changes < PURGE_BATCH || this.#closing) break;
      await nextTurn();
    }
    if (deleted > 0) await this.reclaim();
    return deleted;
  }

  /** Gives free pages back to the file system, a bounded step at a time (incremental vacuum). */
  reclaim(): Promise<void> {
    return (this.#reclaiming ??= this.#reclaimSteps().finally(() => (this.#reclaiming = undefined)));
  }

  async #reclaimSteps(): Promise<void> {
    try {
      while (!this.#closing && !this.#files.problem) {
        const row = this.get<{ freelist_count: number }>('PRAGMA freelist_count');
        if (Number(row?.freelist_count ?? 0) === 0) return;
        this.write(() => this.db.exec(`PRAGMA incremental_vacuum(${RECLAIM_PAGES})`));
        await nextTurn();
      }
    } catch (err) {
      this.#logger?.warn({ err }, 'giving purged space back to the file system failed; the next purge tries again');
    }
  }

  /** No new purge steps; resolves once the one under way has stopped. */
  async settle(): Promise<void> {
    this.#closing = true;
    await this.#reclaiming;
  }
}

/** Conditions to join with AND, with the values of their placeholders in order. */
export function conditions() {
  const clauses: string[] = [];
  const values: Array<string | number> = [];
  const where = (clause: string, ...given: Array<string | number>): void => {
    clauses.push(clause);
    values.push(...given);
  };
  return { clauses, values, where };
}
