import type { Logger } from 'pino';
import type { ScriptDecision } from '../store/index.ts';

/** What the HTTP layer puts on ctx.state for every request. */
export interface RequestState {
  requestId: string;
  log: Logger;
  /** The client a registration request concerns (set once known), for the decision log. */
  clientId?: string;
  /** What each script call decided during this request, for the decision log. */
  trace?: ScriptDecision[];
}
