// A protected MCP resource as the MCP authorization spec describes it: RFC 9728 protected-resource
// metadata naming its authorization server, 401 with a `resource_metadata` challenge without a
// token, and 200 with one the authorization server vouches for (its userinfo endpoint, or its keys
// and the resource as audience: a real check against the real server).
import { createServer, type Server } from 'node:http';
import { freePort } from './server.ts';

export interface ResourceServer {
  /** The protected resource's URL (what an MCP client is pointed at). */
  url: string;
  close(): Promise<void>;
}

export interface ResourceOptions {
  issuer: string;
  /** Whether the authorization server vouches for a token: its userinfo endpoint by default. */
  accepts?: (token: string, resource: string) => Promise<boolean>;
  userinfoEndpoint?: string;
  /** The scopes_supported of its metadata; none: clients fall back to the authorization server's. */
  scopes?: string[] | undefined;
}

/** Asks the authorization server's userinfo endpoint whether it accepts the token. */
const atUserinfo = (endpoint: string) => async (token: string) => (await fetch(endpoint, { headers: { authorization: `Bearer ${token}` } })).ok;

export async function startResourceServer(options: ResourceOptions): Promise<ResourceServer> {
  const accepts = options.accepts ?? atUserinfo(options.userinfoEndpoint ?? '');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const resource = `${origin}/mcp`;
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const server: Server = createServer(async (request, response) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/.well-known/oauth-protected-resource/mcp' || request.url === '/.well-known/oauth-protected-resource') {
      return send(200, { resource, authorization_servers: [options.issuer], ...(options.scopes ? { scopes_supported: options.scopes } : {}), bearer_methods_supported: ['header'] });
    }
    if (!request.url?.startsWith('/mcp')) return send(404, { error: 'not_found' });
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const challenge = { 'www-authenticate': `Bearer resource_metadata="${metadataUrl}"` };
    if (!token) return send(401, { error: 'invalid_token' }, challenge);
    if (!(await accepts(token, resource))) return send(401, { error: 'invalid_token' }, challenge);
    return send(200, { ok: true });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: resource,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
