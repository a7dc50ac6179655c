// Credentials the server issues: identifiers, secrets, registration access tokens, and the
// encryption of client secrets at rest. Tokens are stored only as SHA-256 hashes: they are
// 256-bit random values, so a fast hash is enough and a leaked database reveals none of them.
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { prepareDataDir } from '../config/index.ts';
import { freshRandomBytes } from './random.ts';

export { freshRandomBytes };
export { MASK, maskSecrets, unmaskSecrets, withoutSecrets } from './redact.ts';
import { join } from 'node:path';

/** A UUID v4 from the CSPRNG (122 random bits), Janssen's client_id shape. */
export const newClientId = (): string => randomUUID();

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Records keyed by
 * it are inserted at the end of an index rather than at a random place, and sort by time.
 */
export function newTimeOrderedId(now: number): string {
  const bytes = freshRandomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const newClientSecret = (): string => freshRandomBytes(32).toString('base64url');

export const newRegistrationAccessToken = (): string => freshRandomBytes(32).toString('base64url');

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** Constant-time comparison of a presented token against a stored hash. */
export function tokenMatches(presented: string, storedHash: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = Buffer.from(storedHash, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time string equality (for a client_secret presented on update). */
export function secretsEqual(a: string, b: string): boolean {
  return tokenMatches(a, hashToken(b));
}

/** A key's identifier in what it sealed: the first 8 characters of its SHA-256, base64url (never the key). */
export const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('base64url').slice(0, 8);

/**
 * AES-256-GCM with the client_id as associated data, so a ciphertext cannot be moved to another
 * client. Seals with the current key (`v2.<key id>.<iv, tag, ciphertext>`); opens with the current
 * key or any previous one still configured (DCR_ENCRYPTION_KEY_PREVIOUS), so keys can be rotated
 * while stored secrets are sealed again (resealSecrets). `v1` values (before key ids) are tried
 * against each key.
 */
export class SecretBox {
  readonly #current: { id: string; key: KeyObject };
  readonly #byId: Map<string, KeyObject>;

  constructor(key: Buffer, previous: ReadonlyArray<Buffer> = []) {
    for (const each of [key, ...previous]) if (each.length !== 32) throw new TypeError('an encryption key must be 32 bytes');
    // KeyObjects made once, not a raw buffer turned into a key on every call.
    this.#current = { id: keyId(key), key: createSecretKey(key) };
    this.#byId = new Map([key, ...previous].map((each) => [keyId(each), createSecretKey(each)]));
  }

  seal(plaintext: string, context: string): string {
    const iv = freshRandomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v2.${this.#current.id}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts[0] === 'v2' && parts.length === 3) {
      const key = this.#byId.get(parts[1]!);
      if (!key) throw new Error(`the secret was sealed with a key that is not configured (key id ${parts[1]}): set it in DCR_ENCRYPTION_KEY_PREVIOUS`);
      return decrypt(key, parts[2]!, context);
    }
    if (parts[0] === 'v1' && parts.length === 2) {
      for (const key of this.#byId.values()) {
        try {
          return decrypt(key, parts[1]!, context);
        } catch {
          // Not this key: the next.
        }
      }
      throw new Error('the secret was sealed with a key that is not configured');
    }
    throw new Error('unknown secret encoding');
  }

  /** Whether `sealed` is sealed with the current key (nothing to do when keys rotate). */
  current(sealed: string): boolean {
    return sealed.startsWith(`v2.${this.#current.id}.`);
  }
}

function decrypt(key: KeyObject, payload: string, context: string): string {
  const raw = Buffer.from(payload, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

export function parseKey(text: string, name: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new TypeError(`${name} must be 32 bytes, base64 or hex encoded (got ${key.length} bytes)`);
  return key;
}

/**
 * The key from DCR_ENCRYPTION_KEY, or else a development key kept in the data directory
 * (generated on first start). `warn` is told when the development key is used.
 */
export function loadEncryptionKey(configured: string | undefined, dataDir: string, warn: (message: string) => void): Buffer {
  if (configured) return parseKey(configured, 'DCR_ENCRYPTION_KEY');
  const file = join(dataDir, 'encryption.key');
  if (!existsSync(file)) {
    prepareDataDir(dataDir);
    try {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process sharing the data directory created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  warn(`DCR_ENCRYPTION_KEY is not set: client secrets are encrypted with a development key kept in ${file}; set DCR_ENCRYPTION_KEY in production`);
  return parseKey(readFileSync(file, 'utf8'), file);
}
