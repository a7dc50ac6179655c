// Steps 5-6 of the registration flow, shared by POST and PUT: built-in validation and defaults
// (against the configured lists as narrowed to what the connected authorization server supports),
// the server's scope and claim decisions, then the policy hooks in the hook table's order
// (isCertValidForClient, createClient / updateClient, modifyScopes, manageClaims), and last the
// RFC 8705 binding of the final metadata to the presented certificate. Whatever policy returns
// goes back through the same validation before it can be stored.
import type { ServerConfig } from '../config/index.ts';
import { pickMetadata, REQUEST_ONLY, scopeList, validateClientMetadata, type ClientMetadata } from '../metadata/index.ts';
import type { ClientCertificate } from '../certificate/index.ts';
import type { HookContext, Operation, RequestPolicy, VerifiedJwt } from '../policy/index.ts';
import type { InitialAccessTokenRecord } from '../store/index.ts';
import type { VerifiedStatement } from '../trust/index.ts';
import { checkCertificateBinding } from './certificate.ts';
import type { RegistrationServices } from './services.ts';

/** Scopes from the request (when dynamicRegistrationScopesParamEnabled) that the server knows, else the defaults. */
export function decideScopes(requested: string | undefined, config: ServerConfig): string[] {
  const known = config.dynamicRegistrationScopesParamEnabled
    ? scopeList(requested).filter((scope) => config.scopesSupported.includes(scope))
    : [];
  return known.length > 0 ? [...new Set(known)] : [...config.dynamicRegistrationDefaultScopes];
}

export const decideClaims = (requested: string[] | undefined, config: ServerConfig): string[] =>
  [...new Set((requested ?? []).filter((claim) => config.claimsSupported.includes(claim)))];

/** Fills in what the server decides itself, whatever the client sent. */
function serverDecisions(client: ClientMetadata, config: ServerConfig, grantedScopes: string[], stored: ClientMetadata | undefined): ClientMetadata {
  const scopes = new Set([...decideScopes(client.scope, config), ...grantedScopes]);
  const decided: ClientMetadata = { ...client, scope: [...scopes].join(' ') };
  const claims = decideClaims(client.claims, config);
  if (claims.length > 0) decided.claims = claims;
  else delete decided.claims;
  decided.persist_client_authorizations = config.dynamicRegistrationPersistClientAuthorizations;
  decided.trusted_client = false;
  // A client waiting for approval stays waiting whatever it sends; only an administrator (or policy) moves it.
  if (stored?.client_status) decided.client_status = stored.client_status;
  else delete decided.client_status;
  return decided;
}

/** Approval: every new registration waits when registrationApprovalRequired; policy may queue one itself (`pending`). */
function approvalStatus(client: ClientMetadata, operation: DraftInput['operation'], config: ServerConfig): void {
  if (operation === 'create' && config.registrationApprovalRequired) client.client_status = 'pending';
  else if (operation === 'create' && client.client_status !== 'pending') delete client.client_status;
}

export interface DraftInput {
  operation: Extract<Operation, 'create' | 'update'>;
  request: ClientMetadata;
  clientId: string;
  stored: ClientMetadata | undefined;
  requestId: string;
  statement: VerifiedStatement | undefined;
  signedRequest: VerifiedJwt | undefined;
  certificate: ClientCertificate | undefined;
  initialAccessToken?: InitialAccessTokenRecord | undefined;
  metadataDocument?: { url: string; fetchedAt: number } | undefined;
  /** Nothing goes to the network (a replay): the authorization server's last known lists, no resolution or fetch of the client's URLs. */
  offline?: boolean | undefined;
}

export interface Draft {
  /** Metadata to store (request-only members removed). */
  client: ClientMetadata;
  context: HookContext;
}

export async function draftClient(input: DraftInput, services: RegistrationServices, configured: Readonly<ServerConfig>, policy: RequestPolicy): Promise<Draft> {
  // What a client may register is what the authorization server supports too (503 while that cannot be known).
  const config = input.offline ? services.authorizationServer.supportedConfig(configured) : await services.authorizationServer.settledConfig(configured);
  const validate = (metadata: ClientMetadata) => validateClientMetadata(metadata, config, { offline: input.offline === true });
  const validated = await validate(input.request);
  const context: HookContext = {
    operation: input.operation,
    requestId: input.requestId,
    clientId: input.clientId,
    request: input.request,
    client: serverDecisions(validated, config, input.statement?.grantedScopes ?? [], input.stored),
    stored: input.stored,
    softwareStatement: input.statement ? { header: input.statement.header, claims: input.statement.claims } : undefined,
    signedRequest: input.signedRequest,
    certificate: input.certificate,
    initialAccessToken: input.initialAccessToken ? { id: input.initialAccessToken.id, label: input.initialAccessToken.label, claims: input.initialAccessToken.claims } : undefined,
    metadataDocument: input.metadataDocument,
  };

  if (input.certificate) await policy.isCertValidForClient(input.certificate, context);

  const decided = await policy.decideClient(input.operation === 'create' ? 'createClient' : 'updateClient', context);
  if (decided) context.client = await validate(pickMetadata(decided, config, 'policy'));
  context.client.scope = (await policy.decideList('modifyScopes', scopeList(context.client.scope), context)).join(' ');
  const claims = await policy.decideList('manageClaims', context.client.claims ?? [], context);
  if (claims.length > 0) context.client.claims = claims;
  else delete context.client.claims;
  if (!config.trustedClientEnabled) context.client.trusted_client = false;
  approvalStatus(context.client, input.operation, config);
  if (input.certificate) await checkCertificateBinding(context.client, input.certificate, services.keySets);

  return { client: storable(context.client), context };
}

/** Drops request-only members (lifetime) so they are neither stored nor echoed. */
function storable(metadata: ClientMetadata): ClientMetadata {
  return Object.fromEntries(Object.entries(metadata).filter(([name]) => !REQUEST_ONLY.has(name)));
}
