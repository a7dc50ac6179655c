// The rules every server-side fetch follows, from the configuration in force.
import type { ServerConfig } from '../config/index.ts';
import type { ResolverSettings } from '../net/index.ts';

export interface OutboundPolicy {
  allowHttp: boolean;
  allowPrivateAddresses: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
  /** How names are resolved where private addresses are refused (Registrar's own resolver, not the system's). */
  dns: ResolverSettings;
}

export const outboundPolicy = (config: ServerConfig): OutboundPolicy => ({
  allowHttp: config.outboundAllowHttp,
  allowPrivateAddresses: config.outboundAllowPrivateAddresses,
  timeoutMs: config.outboundTimeoutMs,
  maxResponseBytes: config.outboundMaxResponseBytes,
  dns: { servers: config.dnsServers, timeoutMs: config.dnsTimeoutMs },
});

/**
 * For servers the operator named (the authorization server, an introspection endpoint): plain http
 * and private addresses allowed, since they usually sit beside Registrar and nothing a client sends
 * chooses them (their names are resolved by the system, hosts file and all); authorizationServerTimeoutMs per call.
 */
export const trustedServerPolicy = (config: ServerConfig, maxResponseBytes: number): OutboundPolicy => ({
  allowHttp: true,
  allowPrivateAddresses: true,
  timeoutMs: config.authorizationServerTimeoutMs,
  maxResponseBytes,
  dns: { servers: config.dnsServers, timeoutMs: config.dnsTimeoutMs },
});
