// Steps 2-4 of the flow: where the client metadata comes from. A JSON object, or the verified
// claims of a signed request (application/jwt, application/jose); then the software statement, if
// any, verified and applied over the request's members; and the client certificate, if any. The
// steps after this one do not care which way the metadata arrived.
import type { ServerConfig } from '../config/index.ts';
import { requestCertificate, type ClientCertificate } from '../certificate/index.ts';
import { InvalidRequest, InvalidSoftwareStatement } from '../errors/index.ts';
import { readJsonObject, readRawBody } from '../http/index.ts';
import { pickMetadata, type ClientMetadata } from '../metadata/index.ts';
import { verifySignedRequest } from '../trust/index.ts';
import { applyStatement, verifySoftwareStatement, type TrustContext, type VerifiedStatement } from '../trust/index.ts';
import type { Operation, VerifiedJwt } from '../policy/index.ts';
import type { RegistrationContext, RegistrationServices } from './services.ts';

const JWT_TYPES = ['application/jwt', 'application/jose'];

export interface RegistrationRequest {
  /** The members as received (JSON body or signed request claims). */
  body: Record<string, unknown>;
  /** Client metadata to validate: the request's members with the statement applied. */
  metadata: ClientMetadata;
  statement: VerifiedStatement | undefined;
  signedRequest: VerifiedJwt | undefined;
  certificate: ClientCertificate | undefined;
}

export async function readRegistrationRequest(
  ctx: RegistrationContext,
  services: RegistrationServices,
  config: ServerConfig,
  operation: Extract<Operation, 'create' | 'update'>,
): Promise<RegistrationRequest> {
  const trust: TrustContext = {
    config,
    keySets: services.keySets,
    resolveKey: ctx.state.policy.resolveKey,
    operation,
    requestId: ctx.state.requestId,
    now: services.clock(),
  };
  // Step 4 starts here: the certificate is read before the body so a missing one fails fast.
  const certificate = requestCertificate(ctx, config);
  if (!certificate && config.dynamicRegistrationRequireClientCertificate) {
    throw new InvalidRequest('a client certificate is required to register at this server');
  }
  let body: Record<string, unknown>;
  let statement: VerifiedStatement | undefined;
  let signedRequest: VerifiedJwt | undefined;
  if (JWT_TYPES.includes(ctx.request.type)) {
    const token = (await readRawBody(ctx, config.registrationRequestMaxBytes)).toString('utf8');
    const verified = await verifySignedRequest(token, trust);
    body = verified.claims;
    statement = verified.statement;
    signedRequest = { header: verified.header, claims: verified.claims };
  } else {
    body = await readJsonObject(ctx, config.registrationRequestMaxBytes);
    if (body.software_statement !== undefined) statement = await verifySoftwareStatement(body.software_statement, trust);
  }
  ctx.state.requestBody = body;
  if (!statement && config.dcrSoftwareStatementRequired) throw new InvalidSoftwareStatement('a software statement is required at this server');
  const requested = pickMetadata(body, config, 'client');
  const metadata = statement ? applyStatement(requested, statement, pickMetadata(statement.claims, config, 'client')) : requested;
  return { body, metadata, statement, signedRequest, certificate };
}
