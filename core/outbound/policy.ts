// The rules every server-side fetch follows, from the configuration in force.
import type { ServerConfig } from '../config/index.ts';

export interface OutboundPolicy {
  allowHttp: boolean;
  allowPrivateAddresses: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
}

export const outboundPolicy = (config: ServerConfig): OutboundPolicy => ({
  allowHttp: config.outboundAllowHttp,
  allowPrivateAddresses: config.outboundAllowPrivateAddresses,
  timeoutMs: config.outboundTimeoutMs,
  maxResponseBytes: config.outboundMaxResponseBytes,
});
