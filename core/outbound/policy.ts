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

/**
 * For servers the operator named (the authorization server, an introspection endpoint): plain http
 * and private addresses allowed, since they usually sit beside Registrar and nothing a client sends
 * chooses them; authorizationServerTimeoutMs per call.
 */
export const trustedServerPolicy = (config: ServerConfig, maxResponseBytes: number): OutboundPolicy => ({
  allowHttp: true,
  allowPrivateAddresses: true,
  timeoutMs: config.authorizationServerTimeoutMs,
  maxResponseBytes,
});
