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

const VERSION = 'v1';

/** AES-256-GCM with the client_id as associated data, so a ciphertext cannot be moved to another client. */
export class SecretBox {
  readonly #key: KeyObject;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new TypeError('the encryption key must be 32 bytes');
    // One KeyObject, not a raw buffer turned into a key on every call.
    this.#key = createSecretKey(key);
  }

  seal(plaintext: string, context: string): string {
    const iv = freshRandomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const [version, payload] = sealed.split('.');
    if (version !== VERSION || !payload) throw new Error('unknown secret encoding');
    const raw = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
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
