import type { Logger } from 'pino';

/** What the HTTP layer puts on ctx.state for every request. */
export interface RequestState {
  requestId: string;
  log: Logger;
}
