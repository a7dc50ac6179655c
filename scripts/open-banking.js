// UK Open Banking style registration checks. Shipped disabled: enable it in open-banking.json once
// the directory plugin names your directory's CA bundle and status URL, and set
// dynamicRegistrationRequireClientCertificate and a builtin dcrSsaValidationConfigs entry for the
// directory's statement keys (docs/open-banking.md). The statement's org_status / software_status,
// where present, must be Active; its software_roles decide the scopes (scopesForRoles). Every
// refusal names its reason.
export const uses = ['directory', 'log'];

/**
 * The directory's statement claims this script relies on.
 * @param {import('./registrar.d.ts').HookContext} context
 * @returns {{ software_id: string, org_id: string, software_redirect_uris: string[] }}
 */
const statementOf = (context) => {
  const claims = context.softwareStatement?.claims;
  if (!claims) throw new RegistrationError('invalid_software_statement', 'a software statement from the directory is required');
  const { software_id: softwareId, org_id: orgId, software_redirect_uris: redirects } = claims;
  if (typeof softwareId !== 'string' || typeof orgId !== 'string') {
    throw new RegistrationError('invalid_software_statement', 'the software statement must carry software_id and org_id');
  }
  const listed = Array.isArray(redirects) ? redirects.filter((uri) => typeof uri === 'string') : [];
  for (const member of ['org_status', 'software_status']) {
    const status = claims[member];
    if (status !== undefined && status !== 'Active') throw new RegistrationError('unapproved_software_statement', `the statement's ${member} is ${String(status)}, not Active`);
  }
  return { software_id: softwareId, org_id: orgId, software_redirect_uris: listed };
};

/**
 * The scopes the statement's software_roles allow (scopesForRoles), plus openid; the others are dropped.
 * @type {import('./registrar.d.ts').ModifyScopes<{ scopesForRoles?: Record<string, string[]> }>}
 */
export function modifyScopes(scopes, context) {
  const byRole = context.properties.scopesForRoles;
  if (!byRole || Object.keys(byRole).length === 0) return scopes;
  const roles = context.softwareStatement?.claims.software_roles;
  const allowed = new Set(['openid', ...(Array.isArray(roles) ? roles : []).flatMap((role) => byRole[String(role)] ?? [])]);
  return scopes.filter((scope) => allowed.has(scope));
}

/** @type {(certificate: import('./registrar.d.ts').ClientCertificate, context: import('./registrar.d.ts').HookContext) => Promise<boolean>} */
export async function isCertValidForClient(certificate, context) {
  const ssa = statementOf(context);
  const cn = certificate.subject.attributes.CN?.[0];
  if (cn !== ssa.software_id) {
    throw new RegistrationError('invalid_client_metadata', `the certificate CN "${cn}" is not the statement's software_id "${ssa.software_id}"`);
  }
  const organisation = [...(certificate.subject.attributes.OU ?? []), ...(certificate.subject.attributes.organizationIdentifier ?? [])];
  if (!organisation.some((value) => value === ssa.org_id || value.endsWith(ssa.org_id))) {
    throw new RegistrationError('invalid_client_metadata', `the certificate's OU / organizationIdentifier does not name the statement's org_id "${ssa.org_id}"`);
  }
  const chain = await host.directory.validateChain(certificate.pem);
  if (!chain.valid) throw new RegistrationError('invalid_client_metadata', `the certificate is refused: ${chain.reason}`);
  const entry = await host.directory.status(ssa.org_id, ssa.software_id);
  if (entry?.status !== 'Active') {
    await host.log.warn('directory refused the software', { org_id: ssa.org_id, software_id: ssa.software_id, status: entry?.status });
    throw new RegistrationError('unapproved_software_statement', `software ${ssa.software_id} is ${entry?.status ?? 'unknown'} in the directory, not Active`);
  }
  return true;
}

/** @type {import('./registrar.d.ts').CreateClient} */
export function createClient(context) {
  const ssa = statementOf(context);
  if (!context.certificate) throw new RegistrationError('invalid_client_metadata', 'a client certificate is required');
  const allowed = ssa.software_redirect_uris;
  const outside = (context.client.redirect_uris ?? []).find((uri) => !allowed.includes(uri));
  if (outside) throw new RegistrationError('invalid_redirect_uri', `redirect URI "${outside}" is not registered for the software in the directory`);
  if (context.client.token_endpoint_auth_method !== 'tls_client_auth') {
    throw new RegistrationError('invalid_client_metadata', 'token_endpoint_auth_method must be tls_client_auth');
  }
  if (!context.client.tls_client_auth_subject_dn) {
    throw new RegistrationError('invalid_client_metadata', "tls_client_auth_subject_dn is required: the certificate's subject DN");
  }
  return true;
}
