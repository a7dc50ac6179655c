// Reading request bodies: a size cap enforced while streaming, the content types the
// registration endpoint speaks, and a JSON object or nothing.
import type { Context } from 'koa';
import { InvalidRequest, PayloadTooLarge } from '../errors/index.ts';
import { describeJsonError } from '../validation/index.ts';

export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length'));
  if (Number.isFinite(declared) && declared > limit) {
    ctx.req.resume();
    throw new PayloadTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        ctx.req.resume();
        throw new PayloadTooLarge(limit);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof PayloadTooLarge) throw err;
    // A body that breaks off or is not valid HTTP (a malformed chunk): the client's fault; what it
    // sent (headers, credentials and all, in the parser's error) is not repeated anywhere.
    throw new InvalidRequest('the request body could not be read (malformed or cut off)', { cause: { code: (err as NodeJS.ErrnoException).code } });
  }
  return Buffer.concat(chunks);
}

/** Deepest nesting accepted in a request; client metadata needs 4 (jwks.keys[].x5c[]). */
export const MAX_DEPTH = 32;

/** Refuses values nested deeper than MAX_DEPTH (checked without recursion). */
export function checkDepth(value: unknown, what = 'the request'): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > MAX_DEPTH) throw new InvalidRequest(`${what} is nested more than ${MAX_DEPTH} levels deep`);
    for (const inner of Object.values(current)) stack.push([inner, depth + 1]);
  }
}

function parseObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Shell examples that continue lines with a backslash inside single quotes leave "\" + newline
    // in the body. Outside JSON strings a backslash is never valid, and inside one "\<newline>"
    // is not a valid escape, so reading it as whitespace cannot change the meaning of valid JSON.
    const mended = text.replace(/\\[ \t]*\r?\n/g, '\n');
    try {
      parsed = mended === text ? undefined : JSON.parse(mended);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined) throw new InvalidRequest(`the request body is not valid JSON: ${describeJsonError(text)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidRequest('the request body must be a JSON object');
  }
  checkDepth(parsed);
  return parsed as Record<string, unknown>;
}

/**
 * The registration request as a JSON object. Accepts application/json; also a JSON object sent
 * as application/x-www-form-urlencoded or without a content type, which is what `curl --data`
 * sends when no Content-Type header is given.
 */
export async function readJsonObject(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  const type = ctx.request.type;
  const json = type === 'application/json' || type.endsWith('+json');
  const curlDefault = type === '' || type === 'application/x-www-form-urlencoded';
  if (!json && !curlDefault) {
    ctx.req.resume();
    throw new InvalidRequest(`unsupported content type "${type}"; send application/json (or application/jwt for a signed request)`);
  }
  const text = (await readRawBody(ctx, limit)).toString('utf8');
  if (text.trim() === '') throw new InvalidRequest('the request body is empty; send a JSON object of client metadata');
  if (!json && !text.trimStart().startsWith('{')) {
    throw new InvalidRequest('the request body must be a JSON object sent as application/json');
  }
  return parseObject(text);
}
