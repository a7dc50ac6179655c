// Calling one hook of one version: skipped when its match condition does not hold, bounded in
// flight, timed, counted, its result checked against the hook table, its failure recorded.
import type { Logger } from 'pino';
import { isRejectionCode, type HookName, type ScriptDecision } from '../policy/index.ts';
import { ScriptError } from './errors.ts';
import { ScriptIsolate, type CallOutcome } from './isolate.ts';
import type { ScriptLogs } from './logs.ts';
import { RESULT_VALIDATORS } from './results.ts';
import { statsOf, type ScriptEntry, type ScriptVersion } from './versions.ts';
import { messageOf } from '../errors/index.ts';
import { asRequest, inSpan } from '../tracing/index.ts';

export type CallObserver = (call: { script: string; hook: string; ms: number; decision: string }) => void;

/** Where a call's decision is recorded (the request's policy port), and which request it serves. */
export interface CallScope {
  requestId: string;
  decisions: ScriptDecision[];
}

export interface InvokerOptions {
  logger: Logger;
  logs: ScriptLogs;
  /** The version's isolate, rebuilt from the same source if a limit killed it. */
  instanceOf: (version: ScriptVersion, entry: ScriptEntry) => ScriptIsolate | Promise<ScriptIsolate>;
  /** The version finished its last call after being retired. */
  drained: (version: ScriptVersion) => void;
  onCall?: CallObserver | undefined;
}

/** A short word for the decision log: what a hook answered. */
function describeOutcome(outcome: CallOutcome): string {
  if (outcome.kind === 'rejected') return `rejected:${outcome.code}`;
  const value = outcome.value;
  if (value === undefined || value === null) return 'none';
  if (Array.isArray(value)) return `list(${value.length})`;
  return typeof value === 'object' ? 'object' : String(value);
}

/** Times a call that failed only because of other calls is made again, alone, on a fresh isolate. */
const COLLATERAL_ATTEMPTS = 3;

/**
 * One call, made again, alone, on a fresh isolate when it failed only because of another call (a
 * runaway sharing its crossing, an isolate that ran out of memory): every call gets a verdict of
 * its own. The culprit, made again alone, gets its verdict then; a call that dies beside it once
 * more (it shared the fresh isolate) is made again once more.
 */
async function callOnce(options: InvokerOptions, entry: ScriptEntry, version: ScriptVersion, hook: HookName, args: unknown[], requestId: string | undefined): Promise<CallOutcome> {
  const timeoutMs = version.settings.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const instance = options.instanceOf(version, entry);
    try {
      return await (instance instanceof ScriptIsolate ? instance : await instance).call(hook, args, timeoutMs, requestId, attempt > 1);
    } catch (err) {
      if (!(err instanceof ScriptError && err.collateral) || attempt >= COLLATERAL_ATTEMPTS) throw err;
    }
  }
}

/**
 * Calls `hook` of `version`. Returns undefined when the call was not made (match condition) or
 * failed with onError: skip; throws a ScriptError when it failed otherwise.
 */
export async function invoke(
  options: InvokerOptions,
  entry: ScriptEntry,
  version: ScriptVersion,
  hook: HookName,
  args: unknown[],
  scope: CallScope | undefined,
): Promise<CallOutcome | undefined> {
  const { settings, name } = version;
  // A version retired (and disposed) while a pipeline that listed it was running: it is gone.
  if (version.retired && version.instance.dead) return undefined;
  const stats = statsOf(entry, hook);
  const condition = version.match?.get(hook);
  if (condition && !condition(args[args.length - 1])) {
    // Not this script's business: no call, and the decision log says so.
    stats.notMatched += 1;
    scope?.decisions.push({ script: name, hook, decision: 'not-matched', ms: 0, version: version.hash.slice(0, 12) });
    return undefined;
  }
  if (version.inFlight >= settings.maxInFlight) {
    throw new ScriptError('overloaded', name, hook, `${settings.maxInFlight} calls already in flight`);
  }
  const cpuMs = entry.cpu.lastSecond();
  if (cpuMs >= settings.maxCpuMsPerSecond) {
    throw new ScriptError('overloaded', name, hook, `the script used ${Math.round(cpuMs)} ms of CPU in the last second (maxCpuMsPerSecond ${settings.maxCpuMsPerSecond})`);
  }
  const requestId = scope?.requestId;
  const attributes = { 'registrar.script': name, 'registrar.script.version': version.hash.slice(0, 12), 'registrar.hook': hook };
  // The call itself, counted, timed, its result checked, its decision recorded (and on its span).
  return inSpan(`hook ${hook}`, attributes, async (span) => {
    let decision = 'none';
    version.inFlight += 1;
    const started = performance.now();
    try {
      const outcome = await asRequest(requestId, () => callOnce(options, entry, version, hook, args, requestId));
      if (outcome.logs) options.logs.console(name, outcome.logs);
      if (outcome.kind === 'value' && !RESULT_VALIDATORS.get(hook)!(outcome.value ?? null)) {
        throw new ScriptError('bad_output', name, hook, `${hook} returned a value of the wrong shape: ${JSON.stringify(outcome.value)?.slice(0, 200)}`);
      }
      if (outcome.kind === 'rejected' && !isRejectionCode(outcome.code)) {
        throw new ScriptError('bad_output', name, hook, `${hook} rejected with unknown error code "${outcome.code}"`);
      }
      decision = describeOutcome(outcome);
      return outcome;
    } catch (err) {
      stats.errors += 1;
      const failure = err instanceof ScriptError ? err : new ScriptError('script_error', name, hook, messageOf(err));
      if (failure.code !== 'overloaded') entry.lastError = { ...failure.toJSON(), at: new Date().toISOString(), requestId };
      options.logs.failure(name, { hook, reqId: requestId, error: failure.toJSON() }, 'script hook failed');
      const skip = settings.onError === 'skip' && hook !== 'init' && failure.code !== 'overloaded';
      decision = `${skip ? 'skipped' : 'failed'}:${failure.code}`;
      if (skip) return undefined;
      throw failure;
    } finally {
      const elapsed = performance.now() - started;
      span?.setAttribute('registrar.decision', decision);
      scope?.decisions.push({ script: name, hook, decision, ms: Math.round(elapsed * 1000) / 1000, version: version.hash.slice(0, 12) });
      options.onCall?.({ script: name, hook, ms: elapsed, decision });
      stats.calls += 1;
      stats.totalMs += elapsed;
      stats.maxMs = Math.max(stats.maxMs, elapsed);
      version.inFlight -= 1;
      if (version.retired && version.inFlight === 0) options.drained(version);
    }
  });
}
