import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { freshRandomBytes, hashToken, keyId, newTimeOrderedId, newClientSecret, newRegistrationAccessToken, parseKey, SecretBox, tokenMatches } from '../../core/secrets/index.ts';

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

  it('opens with a previous key while keys rotate, seals with the current one only, and reads what was sealed before key ids', () => {
    const [older, newer] = [randomBytes(32), randomBytes(32)];
    const sealedBefore = new SecretBox(older).seal('s3cret', 'client-a');
    const rotating = new SecretBox(newer, [older]);
    assert.equal(rotating.open(sealedBefore, 'client-a'), 's3cret');
    assert.equal(rotating.current(sealedBefore), false);
    const sealedNow = rotating.seal('s3cret', 'client-a');
    assert.equal(rotating.current(sealedNow), true);
    assert.match(sealedNow, new RegExp(`^v2\\.${keyId(newer)}\\.`));
    assert.equal(new SecretBox(newer).open(sealedNow, 'client-a'), 's3cret', 'no previous key needed for it');
    assert.throws(() => new SecretBox(newer).open(sealedBefore, 'client-a'), /sealed with a key that is not configured .*DCR_ENCRYPTION_KEY_PREVIOUS/);
    // The format before key ids: iv, tag, ciphertext after "v1.", tried against every key.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', older, iv);
    cipher.setAAD(Buffer.from('client-a'));
    const body = Buffer.concat([cipher.update('legacy', 'utf8'), cipher.final()]);
    const v1 = `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    assert.equal(rotating.open(v1, 'client-a'), 'legacy');
    assert.equal(rotating.current(v1), false);
  });

  it('hands out pooled random bytes once each, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      // 33 does not divide 4096: draws straddle the refill boundary.
      const bytes = freshRandomBytes(i % 2 === 0 ? 32 : 33);
      assert.equal(bytes.length, i % 2 === 0 ? 32 : 33);
      const hex = bytes.toString('hex');
      assert.ok(!hex.includes('0'.repeat(16)), `a wiped region was handed out: ${hex}`); // 8 zero bytes: 2^-64 by chance
      seen.add(hex);
    }
    assert.equal(seen.size, 1000);
    assert.equal(freshRandomBytes(1024).length, 1024);
  });

  it('issues distinct 256-bit secrets and tokens', () => {
    const issued = new Set<string>();
    for (let i = 0; i < 500; i += 1) issued.add(newClientSecret()).add(newRegistrationAccessToken());
    assert.equal(issued.size, 1000);
    for (const value of issued) assert.match(value, /^[\w-]{43}$/);
  });

  it('makes RFC 9562 version 7 UUIDs that sort by time', () => {
    const at = Date.UTC(2026, 10, 27, 12, 0, 0);
    const ids = [newTimeOrderedId(at), newTimeOrderedId(at + 1), newTimeOrderedId(at + 60_000)];
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16), at);
    assert.deepEqual([...ids].reverse().sort(), ids);
    assert.notEqual(newTimeOrderedId(at), newTimeOrderedId(at));
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
