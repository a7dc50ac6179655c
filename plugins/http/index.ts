// host.http.getJson(url): GET a JSON document from an allow-listed host, through the server's
// outbound module (https only unless outboundAllowHttp, no private addresses unless
// outboundAllowPrivateAddresses, timeout, size cap, no redirects).
import { Type, type Static } from '@sinclair/typebox';
import { definePlugin, OutboundError, PluginCallError, UrlParam, type PluginCall } from '../../core/plugin/index.ts';

const Config = Type.Object(
  {
    allowedHosts: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Host names (host or host:port) the script may fetch from.' }),
  },
  { additionalProperties: false },
);

/** GETs `target` when its host is one the script may reach. */
async function getJson([target]: unknown[], call: PluginCall<Static<typeof Config>>): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(target as string);
  } catch {
    throw new PluginCallError(`not an absolute URL: ${String(target)}`);
  }
  if (!call.config.allowedHosts.includes(url.host) && !call.config.allowedHosts.includes(url.hostname)) {
    throw new PluginCallError(`${url.host} is not in this script's allowedHosts`);
  }
  try {
    return await call.services.fetchJson(url.href, call.signal);
  } catch (err) {
    if (err instanceof OutboundError) throw new PluginCallError(`GET ${url.origin}${url.pathname} failed: ${err.message}`);
    throw err;
  }
}

export const http = definePlugin('http', 'GET JSON from allow-listed hosts.', Config, {
  getJson: {
    description: "GET a JSON document from one of allowedHosts, under the server's outbound rules.",
    params: { url: UrlParam },
    returns: Type.Unknown(),
    run: getJson,
  },
});
