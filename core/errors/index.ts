// Errors are values: each carries the RFC error code, the HTTP status and whether the
// description may be shown to the client. One serializer (core/http/errors.ts) writes them.

export interface OAuthErrorOptions {
  status?: number;
  headers?: Record<string, string>;
  cause?: unknown;
  /** Members added to the error body beside error and error_description (shown only when the error is). */
  details?: Record<string, unknown>;
}

export class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown>;
  /** Client errors are exposed; a 5xx description stays in the log. */
  get expose(): boolean {
    return this.status < 500;
  }

  constructor(error: string, description: string, options: OAuthErrorOptions = {}) {
    super(description, { cause: options.cause });
    this.name = new.target.name;
    this.error = error;
    this.status = options.status ?? 400;
    this.headers = options.headers ?? {};
    this.details = options.details ?? {};
  }
}

/** A class of errors answering `code` (400 unless the options say otherwise). */
function withCode(code: string) {
  return class extends OAuthError {
    constructor(description: string, options?: OAuthErrorOptions) {
      super(code, description, options);
    }
  };
}

/** RFC 6749 §5.2 / RFC 7592 §2: malformed request, wrong content type, forbidden members. */
export class InvalidRequest extends withCode('invalid_request') {}
/** RFC 7591 §3.2.2 */
export class InvalidClientMetadata extends withCode('invalid_client_metadata') {}
/** RFC 7591 §3.2.2 */
export class InvalidRedirectUri extends withCode('invalid_redirect_uri') {}
/** RFC 7591 §3.2.2 */
export class InvalidSoftwareStatement extends withCode('invalid_software_statement') {}
/** RFC 7591 §3.2.2 */
export class UnapprovedSoftwareStatement extends withCode('unapproved_software_statement') {}

/**
 * RFC 6750 §3.1. Without `error` in the challenge when the request carried no token at all
 * (RFC 6750 §3.1: "SHOULD NOT include an error code"), with it otherwise.
 */
export class InvalidToken extends OAuthError {
  constructor(description: string, { tokenPresented = true } = {}) {
    const challenge = tokenPresented
      ? `Bearer realm="registrar", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`
      : 'Bearer realm="registrar"';
    super('invalid_token', description, { status: 401, headers: { 'WWW-Authenticate': challenge } });
  }
}

export class AccessDenied extends OAuthError {
  constructor(description: string) {
    super('access_denied', description, { status: 403 });
  }
}

export class PayloadTooLarge extends OAuthError {
  constructor(limit: number) {
    super('invalid_request', `request body exceeds ${limit} bytes`, { status: 413 });
  }
}

export class MethodNotAllowed extends OAuthError {
  constructor(allowed: string[]) {
    super('invalid_request', 'method not allowed', { status: 405, headers: { Allow: allowed.join(', ') } });
  }
}

/** Another request changed the same resource first (optimistic concurrency). */
export class Conflict extends InvalidRequest {
  constructor(description: string) {
    super(description, { status: 409 });
  }
}

/** A write lost its race: another request changed the client since it was read (409). */
export class ChangedMeanwhile extends Conflict {
  constructor() {
    super('the client was changed by another request at the same time; read it again and retry');
  }
}

/** Too many requests from one address: 429 with Retry-After. */
export class TooManyRequests extends InvalidRequest {
  constructor(description: string, retryAfterSeconds: number) {
    super(`${description}; retry after ${retryAfterSeconds} s`, { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}

export class NotFound extends OAuthError {
  constructor(description = 'no such endpoint') {
    super('not_found', description, { status: 404 });
  }
}

/** A registration limit is reached (dynamicRegistrationMaxClients): 403, saying which limit. */
export class RegistrationLimitReached extends OAuthError {
  constructor(description: string, limit: string, max: number) {
    super('access_denied', description, { status: 403, details: { limit, max } });
  }
}

/** The store (or another dependency) is down: retryable, nothing was written. */
export class TemporarilyUnavailable extends OAuthError {
  constructor(description: string, retryAfterSeconds = 5, cause?: unknown) {
    super('temporarily_unavailable', description, {
      status: 503,
      headers: { 'Retry-After': String(retryAfterSeconds) },
      cause,
    });
  }

  override get expose(): boolean {
    return true;
  }
}

/** What went wrong, in words, whatever was thrown (for messages and refusals; logs take the error itself, as `{ err }`). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
