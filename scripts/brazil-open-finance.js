// Brazil Open Finance: the organisation in the software statement must be Active in the
// directory's participants list and hold, Active, the role each requested scope needs
// (rolesForScopes). Shipped disabled: enable it in brazil-open-finance.json with the directory's
// participants URL (docs/open-banking.md). The list is refreshed every participantsRefreshSeconds;
// when the directory cannot be had, the last good copy decides.
export const uses = ['directory'];

/** @type {import('./registrar.d.ts').CreateClient<{ rolesForScopes: Record<string, string> }>} */
export async function createClient(context) {
  const orgId = context.softwareStatement?.claims.org_id;
  if (typeof orgId !== 'string') throw new RegistrationError('invalid_software_statement', 'a software statement carrying org_id is required');
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
