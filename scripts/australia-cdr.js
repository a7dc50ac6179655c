// Australia's Consumer Data Right: the software statement comes from the CDR Register (its keys in
// a builtin dcrSsaValidationConfigs entry; a statement lives about ten minutes there), and the
// Register must list the data recipient (org_id) and its software product (software_id) as ACTIVE.
// Both status lists are fetched again every refreshSeconds; while the Register cannot be had, the
// last good copies decide. Shipped disabled: enable it in australia-cdr.json (docs/open-banking.md).
export const uses = ['directory'];

/** @type {import('./registrar.d.ts').CreateClient<unknown>} */
export async function createClient(context) {
  const claims = context.softwareStatement?.claims;
  if (!claims || typeof claims.org_id !== 'string' || typeof claims.software_id !== 'string') {
    throw new RegistrationError('invalid_software_statement', 'a CDR Register software statement carrying org_id and software_id is required');
  }
  const recipient = await host.directory.listStatus('dataRecipients', claims.org_id);
  if (recipient.status !== 'ACTIVE') {
    throw new RegistrationError('unapproved_software_statement', `data recipient ${claims.org_id} is ${recipient.found ? recipient.status : 'not on the Register'}, not ACTIVE`);
  }
  const product = await host.directory.listStatus('softwareProducts', claims.software_id);
  if (product.status !== 'ACTIVE') {
    throw new RegistrationError('unapproved_software_statement', `software product ${claims.software_id} is ${product.found ? product.status : 'not on the Register'}, not ACTIVE`);
  }
  return true;
}
