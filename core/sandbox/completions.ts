// The asynchronous half of hook calls: a hook that returns a promise answers "pending", and its
// outcome arrives later through the completion Reference. Outcomes are taken only for the calls
// in flight on this isolate, each under the host's wall-clock guard.
import type { ScriptError } from './errors.ts';

/** An asynchronous hook's outcome: the envelope text, or what it threw. */
export type Completion = unknown;

/** A call whose outcome may arrive through the completion Reference. */
interface Awaiting {
  /** The outcome, when it arrived before the call's "pending" answer. */
  early?: { completion: Completion };
  settle?: (completion: Completion) => void;
  /** Ends the wait with an error (the isolate went away). */
  fail?: (err: ScriptError) => void;
}

/** What a call threw inside the isolate, as an Error with the isolate's stack (for file and line) and the code of a limit it hit. */
export function thrownError(result: unknown): Error | undefined {
  const thrown = (result as { thrown?: { message: string; stack: string; code?: string } } | null | undefined)?.thrown;
  return thrown ? Object.assign(new Error(thrown.message), { stack: thrown.stack, ...(thrown.code ? { code: thrown.code } : {}) }) : undefined;
}

export class Completions {
  readonly #awaiting = new Map<number, Awaiting>();

  /** Calls in flight. */
  get size(): number {
    return this.#awaiting.size;
  }

  open(callId: number): void {
    this.#awaiting.set(callId, {});
  }

  close(callId: number): void {
    this.#awaiting.delete(callId);
  }

  /** An outcome arrived from the isolate; ignored unless the call is in flight here. */
  receive(callId: number, completion: Completion): void {
    const awaiting = this.#awaiting.get(callId);
    if (!awaiting || awaiting.early) return;
    if (awaiting.settle) awaiting.settle(completion);
    else awaiting.early = { completion };
  }

  /** The call's outcome, or `expired()`'s error once `budgetMs` has passed without one. */
  wait(callId: number, budgetMs: number, expired: () => ScriptError): Promise<unknown> {
    const awaiting = this.#awaiting.get(callId)!;
    return new Promise<unknown>((resolve, reject) => {
      const end = () => {
        clearTimeout(timer);
        awaiting.settle = awaiting.fail = () => {};
      };
      const timer = setTimeout(() => {
        end();
        reject(expired());
      }, Math.max(1, Math.ceil(budgetMs)));
      awaiting.fail = (err) => {
        end();
        reject(err);
      };
      awaiting.settle = (completion) => {
        end();
        const thrown = thrownError(completion);
        if (thrown) reject(thrown);
        else resolve(completion);
      };
      if (awaiting.early) awaiting.settle(awaiting.early.completion);
    });
  }

  /** Ends every wait with `err` (the isolate went away). */
  failAll(err: () => ScriptError): void {
    for (const awaiting of this.#awaiting.values()) awaiting.fail?.(err());
  }
}
