// nginx (Debian's package) as the reverse proxy of a shared-origin topology: one public origin on
// a loopback port, paths routed to Registrar or to the authorization server. Started per suite
// with a configuration written to a temporary folder; without nginx the suites skip, except
// under CI, where they fail.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onFreshPorts, supervised } from './processes.ts';
import { freePort, tempDir } from './server.ts';

export function nginxBinary(): string | undefined {
  for (const candidate of [process.env.REGISTRAR_NGINX, '/usr/sbin/nginx', '/usr/bin/nginx']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function nginxAvailable(): boolean {
  const found = nginxBinary();
  if (!found && process.env.CI) throw new Error('CI: no nginx: apt-get install nginx');
  return Boolean(found);
}

/**
 * One route: an nginx location (`= /exact`, `^~ /prefix`, `/`) and where it goes (a URL; its path
 * replaces the matched part), or the status it answers (a path closed at the proxy).
 */
export type Route = { location: string; to: string } | { location: string; status: number };

export interface Proxy {
  /** The public origin, http://127.0.0.1:port. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** The server block of a shared origin, as the docs show it. */
export function serverBlock(listen: string, routes: readonly Route[]): string {
  const locations = routes.map((route) => `    location ${route.location} {\n        ${'to' in route ? `proxy_pass ${route.to}` : `return ${route.status}`};\n    }`).join('\n');
  return `server {
    listen ${listen};
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
${locations}
}`;
}

/** Starts nginx on `port` (picked by the caller, so the servers behind it can be told their public origin first). */
export async function startProxy(port: number, routes: (origin: string) => readonly Route[]): Promise<Proxy> {
  const binary = nginxBinary();
  if (!binary) throw new Error('no nginx: apt-get install nginx');
  const origin = `http://127.0.0.1:${port}`;
  const dir = tempDir('registrar-nginx-');
  // Its workers may run as another user (nobody, when started as root): the scratch folders are theirs too.
  for (const scratch of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, scratch));
    chmodSync(join(dir, scratch), 0o777);
  }
  chmodSync(dir, 0o755);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${serverBlock(`127.0.0.1:${port}`, routes(origin)).replace(/^/gm, '    ')}
}
`,
  );
  const server = supervised({
    command: binary,
    args: ['-p', dir, '-c', join(dir, 'nginx.conf')],
    // Up when it answers anything at all (what it answers is the routed server's business).
    ready: async () => (await fetch(`${origin}/`, { redirect: 'manual' }).then(() => true)),
    deadlineMs: 10_000,
  });
  await server.start().catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    origin,
    port,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free port for the public origin, and nginx started on it by `start` (tried again on new ports when one is taken). */
export const onPublicPort = <T>(start: (port: number) => Promise<T>): Promise<T> => onFreshPorts(async () => start(await freePort()));
