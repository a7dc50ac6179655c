// core/log: errors are logged as `{ err }`, bounded, with their class, code, status and cause, and
// nothing they drag along (a parser error's raw packet holds the request's headers).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, serializeError } from '../../core/log/index.ts';

describe('log', () => {
  it('writes an error as its class, code, status, bounded message and stack, and its cause, and nothing else it carries', () => {
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const err = Object.assign(new Error('x'.repeat(2000), { cause }), { status: 503, rawPacket: Buffer.from('Authorization: Bearer secret') });
    const written = serializeError(err);
    assert.equal(written.type, 'Error');
    assert.equal((written.message as string).length, 500);
    assert.equal(written.status, 503);
    assert.deepEqual((written.cause as Record<string, unknown>).code, 'ECONNRESET');
    assert.ok((written.stack as string).length <= 2000);
    assert.doesNotMatch(JSON.stringify(written), /Bearer secret|rawPacket/);
    assert.deepEqual(serializeError('plain words'), { message: 'plain words' });
  });

  it('uses that serializer for `err` in every line', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    logger.warn({ err: Object.assign(new Error('boom'), { rawPacket: 'Cookie: s=1' }) }, 'failed');
    const line = JSON.parse(lines[0]!);
    assert.equal(line.err.message, 'boom');
    assert.equal(line.err.rawPacket, undefined);
  });
});
