// At most `maxClientsPerSoftwareId` registrations per software_id. Registrations without a
// software_id are untouched.
export const uses = ['clients', 'log'];

/** @type {import('./registrar.d.ts').CreateClient<{ maxClientsPerSoftwareId: number }>} */
export function createClient(context) {
  const softwareId = context.client.software_id;
  // Answer synchronously when there is nothing to look up: a hook that returns a plain value
  // completes in one call into the sandbox; a promise needs a second one.
  if (!softwareId) return true;
  return checkQuota(softwareId, context.properties.maxClientsPerSoftwareId);
}

async function checkQuota(softwareId, limit) {
  const registered = await host.clients.count({ software_id: softwareId });
  if (registered >= limit) {
    await host.log.warn('software_id over its client quota', { software_id: softwareId, registered });
    throw new RegistrationError('invalid_client_metadata', `software_id ${softwareId} already has ${registered} registered clients (limit ${limit})`);
  }
  return true;
}
