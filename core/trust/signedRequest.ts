// Signed registration requests (application/jwt, application/jose): the request's metadata is
// the claims of a JWS, verified when dcrSignatureValidationEnabled with keys from, in order,
// dcrSignatureValidationJwks / JwksUri / SharedSecret, builtin `dcr` entries trusting its iss,
// the claims of its verified software statement named by
// dcrSignatureValidationSoftwareStatementJwks(URI)Claim, or the getDcrJwks / getDcrHmacSecret
// hooks. FAPI nesting: the software statement inside is verified first, against its own keys.
import { InvalidClientMetadata, InvalidRequest, InvalidSoftwareStatement, UnapprovedSoftwareStatement } from '../errors/index.ts';
import { decodeUnverified, isHmac, jwksSource, verifyJwt, type DecodedJwt, type KeySource } from './jwt.ts';
import { allowedAlgorithms, entrySource, scriptSource, trustedEntries, verifySoftwareStatement, type TrustContext, type VerifiedStatement } from './statement.ts';

// RFC 7591 §3.2.2 has no code of its own for a signed request: a request that fails verification
// is an invalid software statement, one signed by no trusted key an unapproved one.
const invalid = (description: string) => new InvalidSoftwareStatement(description);
const unapproved = (description: string) => new UnapprovedSoftwareStatement(description);

export interface VerifiedRequest {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  statement: VerifiedStatement | undefined;
}

async function keySource(decoded: DecodedJwt, statement: VerifiedStatement | undefined, context: TrustContext): Promise<KeySource | undefined> {
  const { config } = context;
  const { header, claims } = decoded;
  const hmac = isHmac(header.alg);
  if (hmac && config.dcrSignatureValidationSharedSecret) {
    return { kind: 'secret', secret: config.dcrSignatureValidationSharedSecret, from: 'dcrSignatureValidationSharedSecret' };
  }
  if (!hmac) {
    const configured = jwksSource(config.dcrSignatureValidationJwks, 'dcrSignatureValidationJwks');
    if (configured) return configured;
    if (config.dcrSignatureValidationJwksUri) return { kind: 'jwks_uri', url: config.dcrSignatureValidationJwksUri, from: 'dcrSignatureValidationJwksUri' };
  }
  for (const entry of trustedEntries(config, 'dcr', claims.iss)) {
    const source = entrySource(entry, header.alg);
    if (source) return source;
  }
  if (statement && !hmac) {
    const uriClaim = config.dcrSignatureValidationSoftwareStatementJwksURIClaim;
    const jwksClaim = config.dcrSignatureValidationSoftwareStatementJwksClaim;
    const url = uriClaim ? statement.claims[uriClaim] : undefined;
    if (typeof url === 'string') return { kind: 'jwks_uri', url, from: `the software statement's "${uriClaim}" claim` };
    const fromStatement = jwksClaim ? jwksSource(statement.claims[jwksClaim], `the software statement's "${jwksClaim}" claim`) : undefined;
    if (fromStatement) return fromStatement;
  }
  const hook = hmac ? 'getDcrHmacSecret' : 'getDcrJwks';
  const answer = await context.resolveKey(hook, {
    operation: context.operation,
    requestId: context.requestId,
    header,
    claims,
    ...(statement ? { softwareStatement: { header: statement.header, claims: statement.claims } } : {}),
  });
  return scriptSource(answer, hmac, hook);
}

export async function verifySignedRequest(token: string, context: TrustContext): Promise<VerifiedRequest> {
  const { config } = context;
  if (!config.dcrSignatureValidationEnabled) {
    throw new InvalidRequest('signed registration requests are not accepted here (dcrSignatureValidationEnabled is false); send application/json');
  }
  const jwt = token.trim();
  const decoded = decodeUnverified(jwt, { what: 'signed registration request', invalid });
  // The statement inside is verified first, against its own keys: its claims may name the
  // keys of the request (FAPI / UK Open Banking nesting).
  const statement =
    decoded.claims.software_statement === undefined ? undefined : await verifySoftwareStatement(decoded.claims.software_statement, context);
  const verified = await verifyJwt(jwt, await keySource(decoded, statement, context), {
    what: 'signed registration request',
    algorithms: allowedAlgorithms(config.dcrSignatureValidationAllowedAlgorithms, config),
    audience: config.dcrSignatureValidationAudience,
    clockToleranceSeconds: config.dcrSignatureValidationClockSkewSeconds,
    requiredClaims: ['exp', 'iat'],
    currentDate: new Date(context.now),
    keySets: context.keySets,
    invalid,
    unapproved,
  });
  if (statement) {
    const softwareId = statement.claims.software_id;
    if (softwareId !== undefined && verified.claims.iss !== softwareId) {
      throw new InvalidClientMetadata("the signed request's iss must be the software statement's software_id");
    }
    if (verified.claims.software_id !== undefined && verified.claims.software_id !== softwareId) {
      throw new InvalidClientMetadata("the signed request's software_id differs from the software statement's");
    }
  }
  return { header: verified.header as Record<string, unknown>, claims: verified.claims as Record<string, unknown>, statement };
}
