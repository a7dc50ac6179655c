import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashToken, parseKey, SecretBox, tokenMatches } from '../core/secrets/index.ts';

describe('secrets', () => {
  it('seals with AES-256-GCM bound to the client id', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('s3cret', 'client-a');
    assert.ok(!sealed.includes('s3cret'));
    assert.notEqual(box.seal('s3cret', 'client-a'), sealed, 'fresh IV each time');
    assert.equal(box.open(sealed, 'client-a'), 's3cret');
    assert.throws(() => box.open(sealed, 'client-b'), 'cannot be moved to another client');
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'client-a'), 'another key cannot open it');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    assert.throws(() => box.open(tampered, 'client-a'));
  });

  it('matches tokens by hash', () => {
    const hash = hashToken('token-1');
    assert.ok(tokenMatches('token-1', hash));
    assert.ok(!tokenMatches('token-2', hash));
    assert.ok(!tokenMatches('token-1', 'short'));
  });

  it('parses hex and base64 keys of 32 bytes only', () => {
    assert.equal(parseKey('ab'.repeat(32), 'K').length, 32);
    assert.equal(parseKey(randomBytes(32).toString('base64'), 'K').length, 32);
    assert.throws(() => parseKey('abcd', 'K'), /K must be 32 bytes/);
  });
});
