// Runs inside every script isolate, as the module `registrar:runtime`, before the script. It
// takes the host's References from the globals the loader left for it (and removes them), then
// installs what scripts may use: `host` with the granted plugins, `RegistrationError`, `console`
// and the web globals. The call functions the host uses are exported to the entry module only:
// script code can import nothing, so it never reaches them.
import type { Reference } from 'isolated-vm';
import { installWebGlobals } from './web.ts';

interface Boot {
  /** Answers `{"value": ...}`, `{}` (nothing) or `{"error": message}`. */
  __registrarDispatch?: Reference<(plugin: string, fn: string, argsJson: string, requestId: string) => string>;
  __registrarComplete?: Reference<(callId: number, completion: unknown) => void>;
  __registrarGranted?: string;
}

const boot = globalThis as unknown as Boot;
const dispatch = boot.__registrarDispatch!;
const complete = boot.__registrarComplete!;
const granted = JSON.parse(boot.__registrarGranted!) as Record<string, string[]>;
delete boot.__registrarDispatch;
delete boot.__registrarComplete;
delete boot.__registrarGranted;

/** The request the code now running serves: set per call, restored after each plugin await. */
let currentCall = '';

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
  return dispatch.apply(undefined, [plugin, fn, JSON.stringify(args), call], { arguments: { copy: true }, result: { promise: true, copy: true } }).then(
    (text: string) => {
      currentCall = call;
      const reply = JSON.parse(text) as { value?: unknown; error?: string };
      if (reply.error !== undefined) throw new Error(reply.error);
      return reply.value;
    },
    (error: unknown) => {
      currentCall = call;
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

// `true` means "as modified in place": the arguments go back only when the hook changed them.
function envelope(result: unknown, args: unknown[], json: string): Envelope {
  const out: { value: unknown; args?: unknown[]; logs?: ConsoleLine[] } = { value: result === undefined ? null : result };
  if (result === true && JSON.stringify(args) !== json) out.args = args;
  const logs = pendingLogs.splice(0);
  if (logs.length > 0) out.logs = logs;
  return JSON.stringify(out);
}

/** What a call threw, as the host reads it (the message, and the stack for file and line). */
const thrownOf = (error: unknown) => ({
  thrown: { message: String((error as Error | undefined)?.message ?? error), stack: String((error as Error | undefined)?.stack ?? '') },
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
    callMany(calls: Array<[string, number, string, string]>) {
      return calls.map(([name, callId, requestId, json]) => {
        try {
          return call(name, callId, requestId, json);
        } catch (error) {
          return thrownOf(error);
        }
      });
    },
    // The script's match conditions (an object, or a function of its properties), once per version.
    matchOf(propertiesJson: string): string | undefined {
      const declared = typeof hooks.match === 'function' ? (hooks.match as (p: unknown) => unknown)(JSON.parse(propertiesJson)) : hooks.match;
      if (declared && typeof (declared as { then?: unknown }).then === 'function') throw new Error('match must return the conditions, not a promise');
      return declared === undefined ? undefined : JSON.stringify(declared);
    },
  });
}
