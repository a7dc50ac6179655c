// RFC 7592 management authorised by an access token the client got with client_credentials, as
// open-banking profiles do (Janssen's dcrAuthorizationWithClientCredentials): it answers only
// "yes, this token is that client's" or "no". The certificate path is in certificate.ts.
import { jwtVerify } from 'jose';
import type { ServerConfig } from '../config/index.ts';
import type { ClientCertificate } from '../certificate/index.ts';
import { send, trustedServerPolicy } from '../outbound/index.ts';
import type { ClientRecord } from '../store/index.ts';
import type { RegistrationServices } from './services.ts';

/** The claims of a management access token: a verified JWT's, or an introspection's answer; undefined when neither applies. */
async function tokenClaims(token: string, config: ServerConfig, services: RegistrationServices): Promise<Record<string, unknown> | undefined> {
  if (config.dcrAuthorizationJwksUri) {
    try {
      const { payload } = await jwtVerify(token, services.keySets.resolver(config.dcrAuthorizationJwksUri), {
        ...(config.dcrAuthorizationIssuer ? { issuer: config.dcrAuthorizationIssuer } : {}),
        ...(config.dcrAuthorizationAudience ? { audience: config.dcrAuthorizationAudience } : {}),
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
        requiredClaims: ['exp'],
        clockTolerance: config.dcrSignatureValidationClockSkewSeconds,
      });
      return { ...payload, active: true };
    } catch {
      return undefined;
    }
  }
  if (config.dcrAuthorizationIntrospectionEndpoint) {
    const { dcrAuthorizationIntrospectionClientId: id, dcrAuthorizationIntrospectionClientSecret: secret } = config;
    const response = await send(
      config.dcrAuthorizationIntrospectionEndpoint,
      trustedServerPolicy(config, 64 * 1024),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(id && secret ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` } : {}),
        },
        body: new URLSearchParams({ token }).toString(),
      },
    ).catch(() => undefined);
    if (!response || response.status !== 200) return undefined;
    try {
      return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  return services.authorizationServer.verifyAccessToken(token);
}

/**
 * Whether `token` is an access token of `record`'s client, active, with the required scope, and
 * (when bound to a certificate) presented with that certificate.
 */
export async function accessTokenIdentifies(token: string, record: ClientRecord, certificate: ClientCertificate | undefined, config: ServerConfig, services: RegistrationServices): Promise<boolean> {
  const claims = await tokenClaims(token, config, services);
  if (!claims || claims.active !== true) return false;
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= services.clock()) return false;
  const clientId = claims.client_id ?? claims.azp ?? claims.sub;
  if (clientId !== record.clientId) return false;
  if (config.dcrAuthorizationRequiredScope && !String(claims.scope ?? '').split(' ').includes(config.dcrAuthorizationRequiredScope)) return false;
  const bound = (claims.cnf as { 'x5t#S256'?: unknown } | undefined)?.['x5t#S256'];
  if (bound !== undefined) {
    if (!certificate) return false;
    return bound === Buffer.from(certificate.fingerprintSha256, 'hex').toString('base64url');
  }
  return true;
}
