// Calls to the authorization server: through the outbound module (timeout, size cap, no
// redirects) under its trusted-server policy (core/outbound/policy.ts). Each call is counted by
// operation and outcome.
import http from 'node:http';
import https from 'node:https';
import { OutboundError, send, type OutboundPolicy } from '../outbound/index.ts';
import { ServerCallError, type CallOutcome, type ServerCall } from './types.ts';
import { messageOf } from '../errors/index.ts';
import { inSpan } from '../tracing/index.ts';

/** What an error answer says, in a line: OAuth (`error_description`), Keycloak (`errorMessage`) or Hydra's own members. */
function reasonOf(status: number, body: unknown): string {
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const said = [fields.error_description, fields.errorMessage, fields.error_hint, fields.reason, fields.error].find((value) => typeof value === 'string' && value !== '');
  return `HTTP ${status}${said ? `: ${String(said).slice(0, 300)}` : ''}`;
}

/**
 * `signal()` is read per call: a call made where it gives an AbortSignal (a reconciler run) is cut
 * when that signal aborts.
 */
export function serverCall(
  policy: () => OutboundPolicy,
  signal: () => AbortSignal | undefined,
  observe: (operation: string, outcome: CallOutcome, error?: ServerCallError) => void,
): ServerCall {
  // One server, called on every registration: its connections are kept alive (plain http and https alike).
  const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) };
  return (operation, url, options = {}) => inSpan(`authorization-server ${operation}`, { 'registrar.authorization_server.operation': operation }, () => call(operation, url, options));

  async function call(operation: string, url: string, { method = 'GET', headers = {}, json, form, allow = [404] }: Parameters<ServerCall>[2] = {}) {
    const body = json !== undefined ? JSON.stringify(json) : form ? new URLSearchParams(form).toString() : undefined;
    const type: Record<string, string> = json !== undefined ? { 'content-type': 'application/json' } : form ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
    try {
      const agent = url.startsWith('https:') ? agents['https:'] : agents['http:'];
      const abort = signal();
      if (abort?.aborted) throw new ServerCallError('unavailable', `${operation}: stopped`);
      const attempt = () => send(url, policy(), { method, headers: { ...type, ...headers }, agent, signal: abort, ...(body === undefined ? {} : { body }) });
      // A kept-alive connection the server closed just as it was reused fails at once: one more try on a fresh one.
      const response = await attempt()
        .catch((err: unknown) => (err instanceof OutboundError && err.reason === 'network' && /ECONNRESET|socket hang up|EPIPE/.test(err.message) ? attempt() : Promise.reject(err)))
        .catch((err: unknown) => {
          const reason = err instanceof OutboundError ? `${err.reason}: ${err.message}` : messageOf(err);
          throw new ServerCallError('unavailable', `${operation}: ${reason}`, { cause: err });
        });
      const text = response.body.toString('utf8');
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (response.status >= 500 || response.status === 429) throw new ServerCallError('unavailable', `${operation}: ${reasonOf(response.status, parsed)}`);
      if (response.status >= 400 && !allow.includes(response.status)) throw new ServerCallError('refused', `${operation}: ${reasonOf(response.status, parsed)}`);
      observe(operation, 'ok');
      return { status: response.status, headers: response.headers, body: parsed };
    } catch (err) {
      const failure = err instanceof ServerCallError ? err : new ServerCallError('unavailable', `${operation}: ${messageOf(err)}`, { cause: err });
      observe(operation, failure.kind, failure);
      throw failure;
    }
  }
}
