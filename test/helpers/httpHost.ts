// A real HTTP server on loopback whose routes a test sets: the stand-in for remote hosts
// (sector identifier documents, JWKS hosts, directories, client metadata documents). With a
// certificate and key it speaks HTTPS.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface HttpHost {
  url: string;
  routes: Map<string, Handler>;
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startHttpHost(tls?: { cert: string; key: string }): Promise<HttpHost> {
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (!handler) {
      response.writeHead(404).end();
      return;
    }
    handler(request, response);
  };
  const server: Server = tls ? createTlsServer(tls, serve) : createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    routes,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const json = (value: unknown, headers: Record<string, string> = {}): Handler => (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
};
