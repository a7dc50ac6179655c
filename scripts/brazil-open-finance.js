// Brazil Open Finance: the organisation in the software statement must be Active in the
// directory's participants list and hold, Active, the role each requested scope needs
// (rolesForScopes); the client certificate must be the organisation's; the client's keys are the
// statement's (software_jwks_uri, never jwks by value) and its redirect URIs among the
// statement's, on registration and on every update. Shipped disabled: enable it in
// brazil-open-finance.json with the directory's participants URL (docs/open-banking.md). The list
// is refreshed every participantsRefreshSeconds; when the directory cannot be had, the last good
// copy decides.
export const uses = ['directory'];

/**
 * @param {import('./registrar.d.ts').HookContext<unknown>} context
 * @returns {Record<string, unknown>}
 */
function statementOf(context) {
  const claims = context.softwareStatement?.claims;
  if (!claims || typeof claims.org_id !== 'string') throw new RegistrationError('invalid_software_statement', 'a software statement carrying org_id is required');
  return claims;
}

/** @type {(certificate: import('./registrar.d.ts').ClientCertificate, context: import('./registrar.d.ts').HookContext<unknown>) => boolean} */
export function isCertValidForClient(certificate, context) {
  const orgId = statementOf(context).org_id;
  const organisation = [...(certificate.subject.attributes.OU ?? []), ...(certificate.subject.attributes.organizationIdentifier ?? [])];
  if (!organisation.includes(String(orgId))) throw new RegistrationError('invalid_client_metadata', `the client certificate is not organisation ${String(orgId)}'s`);
  return true;
}

/**
 * The statement's keys and redirect URIs bind the client, on registration and on update.
 * @param {import('./registrar.d.ts').HookContext<unknown>} context
 */
function bindToStatement(context) {
  const claims = statementOf(context);
  if (context.client.jwks !== undefined) throw new RegistrationError('invalid_client_metadata', "jwks by value is not accepted: the client's keys are the statement's software_jwks_uri");
  if (typeof claims.software_jwks_uri === 'string' && context.client.jwks_uri !== claims.software_jwks_uri) {
    throw new RegistrationError('invalid_client_metadata', `jwks_uri must be the statement's software_jwks_uri (${claims.software_jwks_uri})`);
  }
  const allowed = Array.isArray(claims.software_redirect_uris) ? claims.software_redirect_uris : [];
  const outside = (context.client.redirect_uris ?? []).find((uri) => !allowed.includes(uri));
  if (outside) throw new RegistrationError('invalid_redirect_uri', `redirect URI ${outside} is not among the statement's software_redirect_uris`);
}

/** @type {import('./registrar.d.ts').UpdateClient<unknown>} */
export function updateClient(context) {
  bindToStatement(context);
  return true;
}

/** @type {import('./registrar.d.ts').CreateClient<{ rolesForScopes: Record<string, string> }>} */
export async function createClient(context) {
  bindToStatement(context);
  const orgId = String(statementOf(context).org_id);
  const participant = await host.directory.participant(orgId);
  if (!participant.found) throw new RegistrationError('unapproved_software_statement', `organisation ${orgId} is not in the participants list`);
  if (participant.status !== 'Active') throw new RegistrationError('unapproved_software_statement', `organisation ${orgId} is ${participant.status ?? 'without a status'}, not Active`);
  const active = new Set(participant.roles.filter((role) => role.status === 'Active').map((role) => role.role));
  for (const scope of (context.client.scope ?? '').split(' ')) {
    const role = context.properties.rolesForScopes[scope];
    if (role && !active.has(role)) throw new RegistrationError('invalid_client_metadata', `scope ${scope} needs the ${role} role, which organisation ${orgId} does not hold`);
  }
  return true;
}
