// Random bytes for credentials, drawn from the CSPRNG 4 KiB at a time and handed out once each
// (as Node does for randomUUID): one call into OpenSSL per ~40 registrations instead of four per
// registration, which measured end to end as a fifth more registrations per second
// (docs/performance.md). Bytes handed out are wiped from the pool.
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `size` fresh bytes from the CSPRNG. */
export function freshRandomBytes(size: number): Buffer {
  if (size > 256) return randomBytes(size);
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  pool.fill(0, offset, offset + size);
  offset += size;
  return bytes;
}
