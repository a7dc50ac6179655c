import type { ServerConfig } from '../../config/index.ts';
import type { OutboundPolicy } from '../../outbound/index.ts';

/** What a metadata rule may consult. */
export interface RuleContext {
  config: ServerConfig;
  outbound: OutboundPolicy;
}
