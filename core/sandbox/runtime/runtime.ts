// Runs inside every script isolate, as the module `registrar:runtime`, before the script. It
// takes the host's References from the globals the loader left for it (and removes them), then
// installs what scripts may use: `host` with the granted plugins, `RegistrationError`, `console`
// and the web globals. The call functions the host uses are exported to the entry module only:
// script code can import nothing, so it never reaches them.
import type { Reference } from 'isolated-vm';
import { installWebGlobals } from './web.ts';

/** What one hook call may spend on plugin calls, and what it may return. */
interface Limits {
  pluginCalls: number;
  pluginBytes: number;
  resultBytes: number;
  resultDepth: number;
  resultMembers: number;
}

interface Boot {
  /** Answers `{"value": ...}`, `{}` (nothing) or `{"error": message}`. */
  __registrarDispatch?: Reference<(plugin: string, fn: string, argsJson: string, requestId: string) => string>;
  __registrarComplete?: Reference<(callId: number, completion: unknown) => void>;
  __registrarGranted?: string;
  __registrarLimits?: string;
  /** Shared with the host: which call of a crossing runs now (Int32 at 0, -1 between crossings) and since when (Float64 at 8, ms). */
  __registrarProgress?: SharedArrayBuffer;
}

const boot = globalThis as unknown as Boot;
const dispatch = boot.__registrarDispatch!;
const complete = boot.__registrarComplete!;
const granted = JSON.parse(boot.__registrarGranted!) as Record<string, string[]>;
const limits = JSON.parse(boot.__registrarLimits!) as Limits;
const runningIndex = new Int32Array(boot.__registrarProgress!, 0, 1);
const runningSince = new Float64Array(boot.__registrarProgress!, 8, 1);
delete boot.__registrarProgress;
delete boot.__registrarDispatch;
delete boot.__registrarComplete;
delete boot.__registrarGranted;
delete boot.__registrarLimits;

/** What one hook call has spent on plugin calls: once spent, further calls are refused here, before any crossing. */
interface Budget {
  calls: number;
  bytes: number;
}

/** The request the code now running serves, and its hook call's budget: set per call, restored after each plugin await. */
let currentCall = '';
let currentBudget: Budget = { calls: 0, bytes: 0 };

class RegistrationError extends Error {
  readonly code: string;
  readonly description: string;
  constructor(code: string, description: string) {
    super(description);
    this.name = 'RegistrationError';
    this.code = code;
    this.description = description;
  }
}

function callHost(plugin: string, fn: string, args: unknown[]): Promise<unknown> {
  const call = currentCall;
  const budget = currentBudget;
  let argsJson: string;
  try {
    argsJson = JSON.stringify(args);
  } catch (error) {
    return Promise.reject(new Error(`host.${plugin}.${fn}: its arguments are not JSON (${String((error as Error).message)})`));
  }
  budget.calls += 1;
  budget.bytes += argsJson.length;
  if (budget.calls > limits.pluginCalls) return Promise.reject(new Error(`host.${plugin}.${fn}: this hook call has made its ${limits.pluginCalls} plugin calls (maxPluginCallsPerHook)`));
  if (budget.bytes > limits.pluginBytes) return Promise.reject(new Error(`host.${plugin}.${fn}: this hook call has sent and received its ${limits.pluginBytes} bytes of plugin data (maxPluginBytesPerHook)`));
  return dispatch.apply(undefined, [plugin, fn, argsJson, call], { arguments: { copy: true }, result: { promise: true, copy: true } }).then(
    (text: string) => {
      currentCall = call;
      currentBudget = budget;
      budget.bytes += text.length;
      const reply = JSON.parse(text) as { value?: unknown; error?: string };
      if (reply.error !== undefined) throw new Error(reply.error);
      return reply.value;
    },
    (error: unknown) => {
      currentCall = call;
      currentBudget = budget;
      throw new Error(String((error as Error | undefined)?.message ?? error));
    },
  );
}

const plugins: Record<string, Readonly<Record<string, (...args: unknown[]) => Promise<unknown>>>> = {};
for (const [plugin, fns] of Object.entries(granted)) {
  const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const fn of fns) api[fn] = (...args) => callHost(plugin, fn, args);
  plugins[plugin] = Object.freeze(api);
}
const host = new Proxy(Object.freeze(plugins), {
  get(target, key) {
    if (typeof key !== 'string' || key in target || key === 'then') return target[key as string];
    throw new Error(`host.${key} is not available: the ${key} plugin is not granted to this script`);
  },
});

/** Console lines: [request id, level, message]. */
type ConsoleLine = [string, string, string];
const MAX_PENDING_LINES = 1000;
const MAX_LINE = 8192;
// Console lines stay in the isolate, tagged with their request, and travel back with the next
// call result: no crossing of their own, and never lost to timing.
const pendingLogs: ConsoleLine[] = [];
const logTo =
  (level: string) =>
  (...parts: unknown[]): void => {
    if (pendingLogs.length >= MAX_PENDING_LINES) return;
    pendingLogs.push([currentCall, level, parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ').slice(0, MAX_LINE)]);
  };
const console = Object.freeze({ log: logTo('info'), info: logTo('info'), warn: logTo('warn'), error: logTo('error'), debug: logTo('debug') });

Object.defineProperty(globalThis, 'host', { value: host });
Object.defineProperty(globalThis, 'RegistrationError', { value: RegistrationError });
Object.defineProperty(globalThis, 'console', { value: console });
installWebGlobals(globalThis);

type Hooks = Record<string, unknown>;
type Envelope = string;
const PENDING = '"pending"';

/**
 * Throws when `value` is nested deeper than resultDepth, holds more than resultMembers members and
 * items in all, or more text than resultBytes: checked without recursion, before anything is
 * serialised, so a result built to exhaust the host (a million levels, a million members, a string
 * of megabytes) never leaves the isolate, nor is copied inside it.
 */
function checkShape(value: unknown): void {
  // Depth first; an object's exit entry (`leave`) takes it off the path, so a value met twice
  // beside itself (shared, as JSON.stringify copies it) is counted twice and only a value inside
  // itself is circular.
  const stack: Array<{ value: unknown; depth: number; leave?: true }> = [{ value, depth: 1 }];
  const path = new Set<object>();
  let members = 0;
  // Text is counted as it is met, so an oversized string is refused before JSON.stringify copies it.
  let chars = 0;
  const count = (text: string) => {
    chars += text.length;
    if (chars > limits.resultBytes) throw new OutputTooLarge(`the result exceeds ${limits.resultBytes} bytes`);
  };
  while (stack.length > 0) {
    const { value: current, depth, leave } = stack.pop()!;
    if (typeof current === 'string') count(current);
    if (current === null || typeof current !== 'object') continue;
    if (leave) {
      path.delete(current);
      continue;
    }
    // JSON.stringify's own words, which the host reads as a result of the wrong shape.
    if (path.has(current)) throw new TypeError('Converting circular structure to JSON');
    if (depth > limits.resultDepth) throw new OutputTooLarge(`the result is nested more than ${limits.resultDepth} levels deep`);
    path.add(current);
    stack.push({ value: current, depth, leave: true });
    const inner = Array.isArray(current) ? current : Object.values(current);
    if (!Array.isArray(current)) for (const key of Object.keys(current)) count(key);
    members += inner.length;
    if (members > limits.resultMembers) throw new OutputTooLarge(`the result holds more than ${limits.resultMembers} members and items`);
    for (const item of inner) stack.push({ value: item, depth: depth + 1 });
  }
}

// `true` means "as modified in place": the arguments go back only when the hook changed them.
// What goes back is checked (shape, then size) here: too much is the script's error, and is never copied out.
function envelope(result: unknown, args: unknown[], json: string): Envelope {
  const out: { value: unknown; args?: unknown[]; logs?: ConsoleLine[] } = { value: result === undefined ? null : result };
  checkShape(out.value);
  if (result === true) {
    checkShape(args);
    const changed = JSON.stringify(args);
    if (changed.length > limits.resultBytes) throw new OutputTooLarge(`the arguments, as the hook changed them, exceed ${limits.resultBytes} bytes`);
    if (changed !== json) out.args = args;
  }
  const logs = pendingLogs.splice(0);
  if (logs.length > 0) out.logs = logs;
  const text = JSON.stringify(out);
  if (text.length > limits.resultBytes) throw new OutputTooLarge(`the result exceeds ${limits.resultBytes} bytes`);
  return text;
}

/** A result over the limits: the host reads its code (`output_too_large`), not its words. */
class OutputTooLarge extends Error {
  readonly code = 'output_too_large';
}

/** What a call threw, as the host reads it (the message, the stack for file and line, and the code of a limit). */
const thrownOf = (error: unknown) => ({
  thrown: {
    message: String((error as Error | undefined)?.message ?? error),
    stack: String((error as Error | undefined)?.stack ?? ''),
    ...(error instanceof OutputTooLarge ? { code: error.code } : {}),
  },
});

function refusal(error: unknown): Envelope | undefined {
  if (!(error instanceof RegistrationError)) return undefined;
  const logs = pendingLogs.splice(0);
  return JSON.stringify({ rejected: { code: String(error.code), description: String(error.description ?? error.message) }, ...(logs.length > 0 ? { logs } : {}) });
}

/**
 * The functions the host calls, over the script's exports. A hook that returns a plain value
 * answers in its call; one that returns a promise answers "pending", and its outcome follows
 * through the completion Reference, under the host's wall-clock guard.
 */
export function serve(hooks: Hooks) {
  const exported = Object.keys(hooks).filter((name) => typeof hooks[name] === 'function');
  const uses = Array.isArray(hooks.uses) ? hooks.uses.map(String) : [];

  function call(name: string, callId: number, requestId: string, json: string): Envelope | ReturnType<typeof thrownOf> {
    currentCall = requestId;
    currentBudget = { calls: 0, bytes: 0 };
    const args = JSON.parse(json) as unknown[];
    let result: unknown;
    try {
      result = (hooks[name] as (...args: unknown[]) => unknown)(...args);
    } catch (error) {
      const refused = refusal(error);
      if (refused) return refused;
      throw error;
    }
    if (!result || typeof (result as { then?: unknown }).then !== 'function') return envelope(result, args, json);
    Promise.resolve(result)
      .then(
        (value) => envelope(value, args, json),
        (error: unknown) => refusal(error) ?? thrownOf(error),
      )
      .catch(thrownOf)
      .then((payload) => complete.applyIgnored(undefined, [callId, payload], { arguments: { copy: true } }));
    return PENDING;
  }

  return Object.freeze({
    exported: JSON.stringify({ exported, uses }),
    // Calls that arrived together, one after the other; each answers on its own (a result, or what it threw).
    // Each call's index and start go where the host reads them when a crossing is cut, to tell the runaway from the calls beside it.
    callMany(calls: Array<[string, number, string, string]>) {
      const results = calls.map(([name, callId, requestId, json], index) => {
        runningIndex[0] = index;
        runningSince[0] = Date.now();
        try {
          return call(name, callId, requestId, json);
        } catch (error) {
          return thrownOf(error);
        }
      });
      runningIndex[0] = -1;
      return results;
    },
    // The script's match conditions (an object, or a function of its properties), once per version.
    matchOf(propertiesJson: string): string | undefined {
      const declared = typeof hooks.match === 'function' ? (hooks.match as (p: unknown) => unknown)(JSON.parse(propertiesJson)) : hooks.match;
      if (declared && typeof (declared as { then?: unknown }).then === 'function') throw new Error('match must return the conditions, not a promise');
      return declared === undefined ? undefined : JSON.stringify(declared);
    },
  });
}
