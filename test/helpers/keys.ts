// Real keys generated at test time, and JWTs signed with them.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function testKey(alg: string, kid = `${alg}-${Math.random().toString(36).slice(2, 8)}`): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

export const jwksOf = (...keys: TestKey[]) => ({ keys: keys.map((key) => key.publicJwk) });

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  iat?: number | null;
  exp?: number | null;
  nbf?: number;
  header?: Record<string, unknown>;
}

export async function signWith(claims: Record<string, unknown>, signer: TestKey | { secret: string; alg?: string }, options: SignOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const hmac = 'secret' in signer;
  const alg = hmac ? (signer.alg ?? 'HS256') : signer.alg;
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg, typ: 'JWT', ...(hmac ? {} : { kid: signer.kid }), ...options.header });
  if (options.iat !== null) jwt.setIssuedAt(options.iat ?? now);
  if (options.exp !== null && options.exp !== undefined) jwt.setExpirationTime(options.exp);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(hmac ? new TextEncoder().encode(signer.secret) : signer.privateKey);
}

/** An unsigned JWT (alg none), built by hand since jose refuses to make one. */
export function unsigned(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

/** Flips one character of the payload: the signature no longer matches. */
export function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  claims.client_name = `${claims.client_name ?? ''}tampered`;
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
