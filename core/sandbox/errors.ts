// Script failures: a family of their own with stable codes that logs, the status endpoint and
// callers branch on. To the client a failing script is a server_error carrying the request id
// (fail closed), except overload, which is a retryable 503.
import { OAuthError } from '../errors/index.ts';

export type ScriptFailure =
  | 'compile_error'
  | 'init_error'
  | 'script_error'
  | 'timeout'
  | 'memory_limit'
  | 'bad_output'
  | 'output_too_large'
  | 'capability_denied'
  | 'overloaded'
  | 'unloaded';

export interface ScriptLocation {
  file: string;
  line?: number | undefined;
  column?: number | undefined;
}

export class ScriptError extends OAuthError {
  readonly code: ScriptFailure;
  readonly script: string;
  readonly hook: string | undefined;
  readonly location: ScriptLocation | undefined;
  /** The call failed only because another call sharing its crossing or isolate did: it may be made again. */
  readonly collateral: boolean;

  constructor(code: ScriptFailure, script: string, hook: string | undefined, message: string, location?: ScriptLocation, cause?: unknown, collateral = false) {
    const overloaded = code === 'overloaded';
    super(overloaded ? 'temporarily_unavailable' : 'server_error', overloaded ? 'the registration policy is busy, try again' : message, {
      status: overloaded ? 503 : 500,
      headers: overloaded ? { 'Retry-After': '1' } : {},
      cause,
    });
    this.code = code;
    this.script = script;
    this.hook = hook;
    this.location = location;
    this.collateral = collateral;
  }

  override get expose(): boolean {
    return this.code === 'overloaded';
  }

  /** What logs and the status endpoint show. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      script: this.script,
      hook: this.hook,
      message: this.message,
      file: this.location?.file,
      line: this.location?.line,
      column: this.location?.column,
    };
  }
}

/** Finds file:line:column for `file` in an isolate stack or a V8 syntax error message. */
export function locate(file: string, text: string | undefined): ScriptLocation {
  if (!text) return { file };
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+)(?::(\\d+))?`).exec(text);
  return { file, line: match?.[1] ? Number(match[1]) : undefined, column: match?.[2] ? Number(match[2]) : undefined };
}
