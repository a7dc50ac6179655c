// Graceful stop of a listening server: no new connections; every request already received is
// answered, with `Connection: close` so no keep-alive connection asks for more; connections that
// stay idle are closed (after a short grace, so a busy client's next request is answered rather
// than met by a closing socket). Whatever is still open at the deadline is cut.
import type { Server, ServerResponse } from 'node:http';

/** How long a connection may sit idle while the server drains before it is closed. */
const IDLE_GRACE_MS = 100;

export interface Drainable {
  /** Stops the server; resolves true when every connection ended by itself, false when the deadline cut some. */
  drain(deadlineMs: number): Promise<boolean>;
}

export function drainable(server: Server): Drainable {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const closeAfter = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  };
  server.on('request', (_request, response: ServerResponse) => {
    if (draining) closeAfter(response);
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  return {
    drain(deadlineMs) {
      draining = true;
      for (const response of inFlight) closeAfter(response);
      return new Promise<boolean>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), IDLE_GRACE_MS);
        const deadline = setTimeout(() => {
          clearInterval(idle);
          server.closeAllConnections();
          resolve(false);
        }, deadlineMs);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(deadline);
          resolve(true);
        });
      });
    },
  };
}
