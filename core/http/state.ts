import type { Logger } from 'pino';

/** What the HTTP layer puts on ctx.state for every request. */
export interface RequestState {
  requestId: string;
  log: Logger;
  /** The client a registration request concerns (set once known), for the decision log. */
  clientId?: string;
  /** The registration request's members as received (set once read), for the decision log. */
  requestBody?: Record<string, unknown>;
}
