// The listening socket: HTTP, or HTTPS that asks for a client certificate and rejects none at the
// TLS layer (registration policy decides). A slow client (headers or body) is answered 408 and cut
// once requestTimeoutMs has passed. A worker process (DCR_WORKERS) binds a socket of its own beside
// its siblings' (SO_REUSEPORT: the kernel spreads connections), not the supervisor's.
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as TlsOptions } from 'node:https';
import { drainable, type Drainable } from './drain.ts';

export interface ListenOptions {
  port: number;
  host: string;
  requestTimeoutMs: number;
  tls?: Pick<TlsOptions, 'cert' | 'key' | 'ca'> | undefined;
  /** Share the port with sibling processes, each with its own socket. */
  reusePort?: boolean;
}

export function listen(handler: RequestListener, options: ListenOptions): Promise<{ server: Server; drain: Drainable }> {
  const timing = { requestTimeout: options.requestTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(1000, options.requestTimeoutMs)) };
  const server = options.tls ? createHttpsServer({ ...options.tls, ...timing, requestCert: true, rejectUnauthorized: false }, handler) : createHttpServer(timing, handler);
  return new Promise((resolve, reject) => {
    server.listen({ port: options.port, host: options.host, ...(options.reusePort ? { exclusive: true, reusePort: true } : {}) });
    server.once('error', reject);
    server.once('listening', () => resolve({ server, drain: drainable(server) }));
  });
}
