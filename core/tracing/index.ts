// OpenTelemetry tracing through @opentelemetry/api: a span per request (core/http), hook call and
// plugin call (core/sandbox), store operation (core/store) and authorization server call (with the
// W3C traceparent sent onward), and the trace id in decision records and log lines. Off, every
// helper here returns at once, so a process without tracing pays a flag test; on, the SDK
// (sdk.ts, loaded only then) or an embedding application's own provides the spans.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, isSpanContextValid, type Attributes, type Context, type Span } from '@opentelemetry/api';

export { SpanKind, type Span };

let enabled = false;

/** Turns span creation on: the SDK was started (sdk.ts), or the embedding application registered its own. */
export function enableTracing(): void {
  enabled = true;
}

export const tracingEnabled = (): boolean => enabled;

const tracer = () => trace.getTracer('registrar');

/** What a failure is, for a span: its code or class, never its message (which may quote a client's input). */
const errorType = (err: unknown): string => String((err as { code?: unknown; error?: unknown }).error ?? (err as { code?: unknown }).code ?? (err as Error)?.name ?? 'Error');

export interface SpanOptions {
  kind?: SpanKind;
  /** The parent, when it is not the active context (calls coming back from an isolate). */
  parent?: Context | undefined;
}

/** Runs `work` in a child span of the active context (or `parent`); with tracing off, just runs it. */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span | undefined) => Promise<T>, options: SpanOptions = {}): Promise<T> {
  if (!enabled) return work(undefined);
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes }, options.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.setAttribute('error.type', errorType(err));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Runs `work` in no request's context: what it does starts traces of its own (work shared by many requests). */
export function outsideRequests<T>(work: () => T): T {
  return enabled ? context.with(ROOT_CONTEXT, work) : work();
}

/** Adds the active trace context to outgoing request headers (W3C traceparent, tracestate). */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  if (enabled) propagation.inject(context.active(), headers);
  return headers;
}

/** The context an incoming request carries (its traceparent), to parent the request's span. */
export function extractTraceContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** The active span's trace id, when tracing is on and a span is active. */
export function activeTraceId(): string | undefined {
  if (!enabled) return undefined;
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? span.traceId : undefined;
}

/** Log line fields that link it to its trace (pino mixin); none when tracing is off. */
export function traceFields(): Record<string, string> {
  if (!enabled) return {};
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

// Calls a script makes to plugins come back from its isolate's thread with no async context of
// their own: they find their parent (the hook call's span) by the request id they carry.
const hookContexts = new Map<string, Context>();

/** Runs `work` with the active context known as `requestId`'s, for plugin calls made meanwhile. */
export async function asRequest<T>(requestId: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!enabled || requestId === undefined) return work();
  const active = context.active();
  hookContexts.set(requestId, active);
  try {
    return await work();
  } finally {
    if (hookContexts.get(requestId) === active) hookContexts.delete(requestId);
  }
}

/** The context of `requestId`'s hook call under way, if any. */
export const contextOfRequest = (requestId: string | undefined): Context | undefined => (requestId === undefined ? undefined : hookContexts.get(requestId));
