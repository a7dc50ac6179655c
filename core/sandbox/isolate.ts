// One loaded script version in its own isolated-vm isolate. Data crosses as JSON strings (copies);
// the host's References live in the in-isolate runtime (runtime/), which script code cannot reach.
// Calls made in one turn of the event loop cross together (#flush). Every call has a CPU timeout
// (isolated-vm's, timeoutMs per call in its batch) and a host wall-clock guard (for code after an
// await and promises that never settle); either overrun, or the memory limit, kills the isolate
// and the owner rebuilds it from the same source.
import ivm from 'isolated-vm';
import { messageOf } from '../errors/index.ts';
import { Completions, thrownError, type Completion } from './completions.ts';
import { locate, ScriptError, type ScriptFailure } from './errors.ts';
import { RUNTIME_MODULES, RUNTIME_ROOT } from './runtimeSource.ts';

/** What a hook may return (judged inside the isolate, before anything is copied out): JSON bytes, nesting, members and items in all. */
export const MAX_RESULT_BYTES = 256 * 1024;
export const MAX_RESULT_DEPTH = 32;
export const MAX_RESULT_MEMBERS = 10_000;

/** The share of a cut crossing's time one call must have taken to be held the runaway. */
const RUNAWAY_SHARE = 0.9;

export type Dispatch = (plugin: string, fn: string, argsJson: string, requestId: string | undefined) => Promise<string | undefined>;

export interface IsolateOptions {
  name: string;
  file: string;
  code: string;
  memoryLimitMb: number;
  timeoutMs: number;
  /** Plugin name → function names the script may call as host.<plugin>.<fn>. */
  granted: Record<string, string[]>;
  /** What one hook call may spend on plugin calls: calls, and bytes sent and received. */
  pluginBudget: { calls: number; bytes: number };
  dispatch: Dispatch;
  /** Told once the isolate is gone (disposed by its owner, after retiring, or by the memory limit). */
  onDisposed?: () => void;
  /** Told the CPU time (ms) the isolate used since the last report, after each crossing and each completion. */
  onCpu?: (ms: number) => void;
}

/** Console lines the script wrote: [request id, level, message]. */
export type ConsoleLine = [string, string, string];

export type CallOutcome =
  | { kind: 'value'; value: unknown; args: unknown[] | undefined; logs?: ConsoleLine[] }
  | { kind: 'rejected'; code: string; description: string; logs?: ConsoleLine[] };

// The entry module: the runtime first (it installs the globals and takes the host's References
// before any script code runs), then the script, then the call functions over its exports.
const ENTRY = `import { serve } from 'registrar:runtime';
import * as hooks from 'script';
export const api = serve(hooks);
`;

const PENDING = '"pending"';

/** Most calls one crossing carries (see ScriptIsolate.#flush). */
export const MAX_BATCH = 16;

type QueuedCall = { call: [string, number, string, string]; resolve: (text: unknown) => void; reject: (err: unknown) => void };

let nextCallId = 1;

interface EntryReferences {
  callMany: ivm.Reference;
  matchOf: ivm.Reference;
}

/** Compiles and links the in-isolate runtime's modules; returns its root, `registrar:runtime`. */
async function loadRuntime(isolate: ivm.Isolate, context: ivm.Context, held: <T extends ivm.Module>(module: T) => T): Promise<ivm.Module> {
  const modules = new Map<string, ivm.Module>();
  for (const [file, code] of RUNTIME_MODULES) modules.set(file, held(await isolate.compileModule(code, { filename: `registrar:runtime/${file}` })));
  const root = modules.get(RUNTIME_ROOT)!;
  await root.instantiate(context, (specifier) => {
    const module = modules.get(specifier.replace(/^\.\//, ''));
    if (!module) throw new Error(`the runtime has no module "${specifier}"`);
    return module;
  });
  return root;
}

function releaseAll(handles: Array<{ release(): void }>): void {
  for (const handle of handles) {
    try {
      handle.release();
    } catch {
      // already released with the isolate
    }
  }
}

export class ScriptIsolate {
  readonly exported: string[];
  readonly uses: string[];
  readonly #options: IsolateOptions;
  readonly #isolate: ivm.Isolate;
  readonly #entry: EntryReferences;
  /** Calls waiting for the next crossing (see #flush). */
  readonly #queue: QueuedCall[] = [];
  #crossings = 0;
  /** Calls in flight on this isolate, by call id: the only ones a completion is taken for. */
  readonly #awaiting = new Completions();
  /** Handles released before the isolate is disposed, so no finalizer runs against a dead isolate. */
  readonly #handles: Array<{ release(): void }>;
  readonly #runningIndex: Int32Array;
  #cpuReported = 0n;
  readonly #runningSince: Float64Array;
  #dead = false;
  /** Takes no new calls; disposed once the calls in flight are done (a hung or runaway call happened here, or the owner replaced it). */
  #retiring = false;

  private constructor(
    options: IsolateOptions,
    isolate: ivm.Isolate,
    entry: EntryReferences,
    info: { exported: string[]; uses: string[] },
    handles: Array<{ release(): void }>,
    progress: SharedArrayBuffer,
  ) {
    this.#handles = handles;
    this.#runningIndex = new Int32Array(progress, 0, 1);
    this.#runningSince = new Float64Array(progress, 8, 1);
    this.#options = options;
    this.#isolate = isolate;
    this.#entry = entry;
    this.exported = info.exported;
    this.uses = info.uses;
  }

  /** Compiles and evaluates the script. Throws a ScriptError (compile_error) with file, line and column. */
  static async create(options: IsolateOptions): Promise<ScriptIsolate> {
    const isolate = new ivm.Isolate({ memoryLimit: options.memoryLimitMb });
    // Every handle made here is released before the isolate goes, so no finalizer runs against a dead isolate.
    const handles: Array<{ release(): void }> = [];
    const held = <T extends { release(): void }>(handle: T): T => (handles.push(handle), handle);
    // Which call of a crossing runs, and since when: written by the runtime, read here when a crossing is cut.
    const progress = new SharedArrayBuffer(16);
    try {
      const context = held(await isolate.createContext());
      // The request id travels with each call into the isolate and back with each plugin call,
      // so even fire-and-forget console lines are tagged with the request that wrote them. The
      // answer is always a reply (value or error), never a rejection: an already-rejected promise
      // handed to isolated-vm would count as unhandled before the isolate takes it.
      const dispatch = held(new ivm.Reference((plugin: string, fn: string, argsJson: string, requestId: string) =>
        options.dispatch(plugin, fn, argsJson, requestId || undefined).then(
          (json) => (json === undefined ? '{}' : `{"value":${json}}`),
          (err: unknown) => JSON.stringify({ error: messageOf(err) }),
        ),
      ));
      const receiver = { receive: (_callId: number, _completion: Completion): void => {} };
      const complete = held(new ivm.Reference((callId: number, completion: Completion) => receiver.receive(callId, completion)));
      // Left for the runtime, which takes them and deletes them before the script runs.
      await context.global.set('__registrarDispatch', dispatch);
      await context.global.set('__registrarComplete', complete);
      await context.global.set('__registrarGranted', JSON.stringify(options.granted));
      await context.global.set('__registrarProgress', new ivm.ExternalCopy(progress).copyInto({ release: true }));
      await context.global.set(
        '__registrarLimits',
        JSON.stringify({ pluginCalls: options.pluginBudget.calls, pluginBytes: options.pluginBudget.bytes, resultBytes: MAX_RESULT_BYTES, resultDepth: MAX_RESULT_DEPTH, resultMembers: MAX_RESULT_MEMBERS }),
      );
      const fail = (message: string, text?: string) => new ScriptError('compile_error', options.name, undefined, message, locate(options.file, text));
      let script: ivm.Module;
      try {
        script = held(await isolate.compileModule(options.code, { filename: options.file }));
      } catch (err) {
        throw fail(messageOf(err), String((err as Error).stack ?? ''));
      }
      const runtime = await loadRuntime(isolate, context, held);
      const entry = held(await isolate.compileModule(ENTRY, { filename: 'registrar:entry' }));
      try {
        await script.instantiate(context, (specifier) => {
          throw new Error(`imports are not available to scripts ("${specifier}"); use host plugins`);
        });
        await entry.instantiate(context, (specifier) => {
          if (specifier === 'script') return script;
          if (specifier === 'registrar:runtime') return runtime;
          throw new Error(`unknown module "${specifier}"`);
        });
        await entry.evaluate({ timeout: options.timeoutMs });
      } catch (err) {
        throw fail(messageOf(err), String((err as Error).stack ?? ''));
      }
      const api = held(await held(entry.namespace).get('api', { reference: true }));
      const info = JSON.parse(await api.get('exported', { copy: true })) as { exported: string[]; uses: string[] };
      const entryRefs: EntryReferences = {
        callMany: held(await api.get('callMany', { reference: true })),
        matchOf: held(await api.get('matchOf', { reference: true })),
      };
      const instance = new ScriptIsolate(options, isolate, entryRefs, info, handles, progress);
      receiver.receive = (callId, completion) => {
        instance.#chargeCpu();
        instance.#awaiting.receive(callId, completion);
      };
      return instance;
    } catch (err) {
      releaseAll(handles);
      if (!isolate.isDisposed) isolate.dispose();
      if (err instanceof ScriptError) throw err;
      throw new ScriptError('compile_error', options.name, undefined, messageOf(err), locate(options.file, String((err as Error).stack ?? '')));
    }
  }

  /** Crossings into the isolate made for hook calls so far (calls that arrive together share one). */
  get crossings(): number {
    return this.#crossings;
  }

  /** Takes no new calls (gone, or retiring). */
  get dead(): boolean {
    return this.#dead || this.#retiring || this.#isolate.isDisposed;
  }

  /** No new calls; the isolate goes once the calls in flight have their verdicts. */
  retire(): void {
    this.#retiring = true;
    if (this.#awaiting.size === 0 && this.#queue.length === 0) this.dispose();
  }

  /** The script's `match` export, evaluated with its properties (undefined: none). Throws ScriptError. */
  async matchDeclaration(properties: Record<string, unknown>): Promise<unknown> {
    const { name, file, timeoutMs } = this.#options;
    try {
      const json = (await this.#entry.matchOf.apply(undefined, [JSON.stringify(properties)], { arguments: { copy: true }, result: { copy: true }, timeout: timeoutMs })) as
        | string
        | undefined;
      return json === undefined ? undefined : (JSON.parse(json) as unknown);
    } catch (err) {
      const failure = this.#classify(err);
      throw new ScriptError('compile_error', name, undefined, `match: ${failure.message}`, locate(file, failure.stack), err);
    }
  }

  /**
   * Calls an exported hook with JSON-copyable arguments. Throws ScriptError on any failure; one
   * marked `collateral` failed only because of another call, and may be made again. `solo` sends
   * the call in a crossing of its own.
   */
  async call(hook: string, args: unknown[], timeoutMs: number, requestId?: string, solo = false): Promise<CallOutcome> {
    const { name, file } = this.#options;
    if (this.dead) throw new ScriptError('unloaded', name, hook, 'the script isolate is not running', undefined, undefined, true);
    const json = JSON.stringify(args);
    const callId = nextCallId++;
    const started = performance.now();
    let text: unknown;
    this.#awaiting.open(callId);
    try {
      text = await new Promise<unknown>((resolve, reject) => {
        const queued: QueuedCall = { call: [hook, callId, requestId ?? '', json], resolve, reject };
        if (solo) return this.#send([queued]);
        this.#queue.push(queued);
        if (this.#queue.length === 1) setImmediate(() => this.#flush());
      });
      if (text === PENDING) {
        text = await this.#awaiting.wait(callId, timeoutMs - (performance.now() - started), () => {
          // The call may never settle: it keeps its isolate, which takes no new calls and goes once the others are done.
          this.retire();
          return new ScriptError('timeout', name, hook, `${hook} did not finish within ${timeoutMs} ms`);
        });
      }
    } catch (err) {
      if (err instanceof ScriptError && err.hook) throw err;
      const failure = this.#classify(err);
      throw new ScriptError(failure.code, name, hook, failure.message, locate(file, failure.stack), err, err instanceof ScriptError && err.collateral);
    } finally {
      this.#awaiting.close(callId);
      if (this.#retiring && this.#awaiting.size === 0 && this.#queue.length === 0) this.dispose();
    }
    if (typeof text !== 'string') throw new ScriptError('bad_output', name, hook, `${hook} returned nothing the host can read`);
    if (Buffer.byteLength(text) > MAX_RESULT_BYTES) {
      throw new ScriptError('output_too_large', name, hook, `${hook} returned more than ${MAX_RESULT_BYTES} bytes`);
    }
    const envelope = JSON.parse(text) as { value?: unknown; args?: unknown[]; rejected?: { code: string; description: string }; logs?: ConsoleLine[] };
    const logs = envelope.logs ? { logs: envelope.logs } : {};
    if (envelope.rejected) return { kind: 'rejected', ...envelope.rejected, ...logs };
    return { kind: 'value', value: envelope.value ?? undefined, args: envelope.args, ...logs };
  }

  /**
   * Sends the calls queued during this turn of the event loop into the isolate together, up to
   * MAX_BATCH per crossing. They run on the isolate's own thread, one after the other, so the
   * server's event loop keeps serving meanwhile. Each crossing costs a thread wake-up, a reply
   * through the event loop and a stack-trace capture by isolated-vm, so a batch pays it once
   * (figures: docs/performance.md).
   */
  #flush(): void {
    while (this.#queue.length > 0) this.#send(this.#queue.splice(0, MAX_BATCH));
  }

  /**
   * One crossing. Its CPU limit is one call's: a crossing that exceeds it (or the memory limit)
   * fails, the call alone gets that verdict, and calls that shared the crossing fail as
   * collateral, to be made again on a fresh isolate. The isolate retires: a runaway is never
   * given another call.
   */
  #send(batch: QueuedCall[]): void {
    const { name, timeoutMs } = this.#options;
    if (this.#isolate.isDisposed || this.#dead) {
      for (const queued of batch) queued.reject(new ScriptError('unloaded', name, queued.call[0], 'the script isolate is not running', undefined, undefined, true));
      return;
    }
    this.#crossings += 1;
    const sentAt = Date.now();
    let pending: Promise<unknown>;
    try {
      pending = this.#entry.callMany.apply(undefined, [batch.map((queued) => queued.call)], { arguments: { copy: true }, result: { copy: true }, timeout: timeoutMs });
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (results) => {
        this.#chargeCpu();
        batch.forEach((queued, index) => this.#settle(queued, (results as unknown[])[index]));
      },
      (err: unknown) => {
        this.#chargeCpu();
        const failure = this.#classify(err);
        if (failure.code === 'memory_limit') this.dispose();
        else if (failure.code === 'timeout') this.retire();
        const culprit = batch.length === 1 ? 0 : failure.code === 'timeout' ? this.#runaway(batch.length, sentAt) : -1;
        batch.forEach((queued, index) => {
          const hook = queued.call[0];
          // The isolate was gone (another call ran it out of memory) before this crossing ran: nothing here failed.
          if (failure.code === 'unloaded') queued.reject(new ScriptError('unloaded', name, hook, 'the isolate went away under the call (another call exceeded a limit)', undefined, err, true));
          else if (index === culprit) queued.reject(new ScriptError(failure.code, name, hook, failure.message, locate(this.#options.file, failure.stack), err));
          else queued.reject(new ScriptError('unloaded', name, hook, `another call sharing the crossing failed (${failure.code})`, undefined, err, true));
        });
      },
    );
  }

  /**
   * The call of a cut crossing that ran away, or -1 when it cannot be told: the one running when
   * the crossing was cut, if it had taken nearly all of the crossing's time. It gets its verdict
   * at once; the others are made again, so a runaway costs its time once, not twice.
   */
  #runaway(size: number, sentAt: number): number {
    const index = this.#runningIndex[0]!;
    if (index < 0 || index >= size) return -1;
    const elapsed = Date.now() - sentAt;
    return Date.now() - this.#runningSince[0]! >= elapsed * RUNAWAY_SHARE ? index : -1;
  }

  /** Reports the isolate's CPU time since the last report (none once it is gone). */
  #chargeCpu(): void {
    if (!this.#options.onCpu || this.#isolate.isDisposed) return;
    let now: bigint;
    try {
      now = this.#isolate.cpuTime;
    } catch {
      return;
    }
    const ms = Number(now - this.#cpuReported) / 1e6;
    this.#cpuReported = now;
    if (ms > 0) this.#options.onCpu(ms);
  }

  #settle(queued: QueuedCall, result: unknown): void {
    const thrown = thrownError(result);
    if (thrown) queued.reject(thrown);
    else queued.resolve(result);
  }

  #classify(err: unknown): { code: ScriptFailure; message: string; stack?: string } {
    if (err instanceof ScriptError) return { code: err.code, message: err.message };
    const message = messageOf(err);
    const stack = (err as Error)?.stack;
    if ((err as { code?: unknown })?.code === 'output_too_large') return { code: 'output_too_large', message, ...(stack ? { stack } : {}) };
    // isolated-vm's words for a call made on an isolate already gone, as opposed to the one that ran it out of memory.
    if (/isolate is disposed/i.test(message) && !/memory limit/i.test(message)) return { code: 'unloaded', message };
    if (/timed out/i.test(message)) return { code: 'timeout', message: `the call exceeded its CPU time limit` };
    if ((this.#isolate.isDisposed && !this.#dead) || /memory limit|allocation failed|heap/i.test(message)) {
      return { code: 'memory_limit', message: `the script exceeded its memory limit of ${this.#options.memoryLimitMb} MB` };
    }
    if (/Converting circular|BigInt|could not be cloned/i.test(message)) return { code: 'bad_output', message, ...(stack ? { stack } : {}) };
    return { code: 'script_error', message, ...(stack ? { stack } : {}) };
  }

  dispose(): void {
    if (this.#dead) return;
    this.#dead = true;
    releaseAll(this.#handles);
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
    // Asynchronous calls still waiting will get no completion now: end them, as collateral (they are made again, alone, on a fresh isolate).
    this.#awaiting.failAll(() => new ScriptError('unloaded', this.#options.name, undefined, 'the script isolate was stopped while the call was in flight', undefined, undefined, true));
    this.#options.onDisposed?.();
  }
}
