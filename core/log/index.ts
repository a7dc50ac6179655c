// The server's logger: pino, one JSON line per event, with an error serializer that says an
// error's class, code and message, bounded, and nothing it drags along (a parser error's raw
// packet holds the request's headers, credentials and all). Errors are logged as `{ err }`.
import pino, { type DestinationStream, type Logger } from 'pino';
import { traceFields } from '../tracing/index.ts';

const MESSAGE_CHARS = 500;
const STACK_CHARS = 2000;

export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(typeof err === 'object' ? JSON.stringify(err) : err).slice(0, MESSAGE_CHARS) };
  const { code, status } = err as { code?: unknown; status?: unknown };
  return {
    type: err.name,
    message: err.message.slice(0, MESSAGE_CHARS),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
    ...(err.stack ? { stack: err.stack.slice(0, STACK_CHARS) } : {}),
    ...(err.cause === undefined ? {} : { cause: serializeError(err.cause) }),
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  // With tracing on, each line names the trace and span it was written in (trace_id, span_id).
  return pino({ level, serializers: { err: serializeError }, mixin: traceFields }, destination);
}

export type { Logger };
