// core/errors: errors are values with an RFC code and a status; what a client may be told is decided
// by the status (a 5xx description stays in the log); the messages of anything thrown read one way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangedMeanwhile, InvalidClientMetadata, messageOf, NotFound, OAuthError, TemporarilyUnavailable } from '../../core/errors/index.ts';

describe('errors', () => {
  it('carry their RFC code and status, and are shown to clients only below 500', () => {
    const metadata = new InvalidClientMetadata('redirect_uris is required');
    assert.deepEqual([metadata.error, metadata.status, metadata.expose], ['invalid_client_metadata', 400, true]);
    const conflict = new ChangedMeanwhile();
    assert.deepEqual([conflict.error, conflict.status], ['invalid_request', 409]);
    assert.deepEqual([new NotFound('no such client').status, new NotFound().message], [404, 'no such endpoint']);
    const internal = new OAuthError('server_error', 'the disk is on fire', { status: 500 });
    assert.equal(internal.expose, false);
    const busy = new TemporarilyUnavailable('try again', 3);
    assert.deepEqual([busy.status, busy.headers['Retry-After'], busy.expose], [503, '3', true]);
  });

  it('read the message of whatever was thrown', () => {
    assert.equal(messageOf(new TypeError('bad')), 'bad');
    assert.equal(messageOf('a string'), 'a string');
    assert.equal(messageOf(undefined), 'undefined');
    assert.equal(messageOf(42), '42');
  });
});
