import type { ServerConfig } from '../../config/index.ts';
import type { OutboundPolicy } from '../../outbound/index.ts';

/** What a metadata rule may consult. */
export interface RuleContext {
  config: ServerConfig;
  outbound: OutboundPolicy;
  /** No network: the rules that resolve or fetch a client's URLs judge what they can without (a replay). */
  offline: boolean;
}
