// GET /admin/console: the administration console, three static files read once at start (no build
// step) and served under a Content-Security-Policy that allows only them and the API beside them.
// The page holds no secret: signing in asks the token endpoint, and the token stays in memory.
import { readFileSync } from 'node:fs';
import type { Context } from 'koa';

const FILES: Record<string, { type: string; file: string }> = {
  '': { type: 'text/html; charset=utf-8', file: 'console.html' },
  'console.js': { type: 'text/javascript; charset=utf-8', file: 'console.js' },
  'console.css': { type: 'text/css; charset=utf-8', file: 'console.css' },
};

const CONTENT = new Map(Object.entries(FILES).map(([name, { type, file }]) => [name, { type, body: readFileSync(new URL(`./console/${file}`, import.meta.url)) }]));

const POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

export function consoleFile(name: string) {
  const content = CONTENT.get(name)!;
  return (ctx: Context) => {
    ctx.set({ 'Content-Security-Policy': POLICY, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
    ctx.type = content.type;
    ctx.body = content.body;
  };
}
