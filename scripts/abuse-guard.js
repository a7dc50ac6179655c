// At most `maxClientsPerSoftwareId` registrations per software_id. Registrations without a
// software_id are untouched.
export const uses = ['clients', 'log'];

// Only registrations carrying a software_id are counted: the server checks this before calling.
/** @type {import('./registrar.d.ts').Match} */
export const match = { createClient: { properties: { client: { required: ['software_id'] } } } };

/** @type {import('./registrar.d.ts').CreateClient<{ maxClientsPerSoftwareId: number }>} */
export function createClient(context) {
  const softwareId = context.client.software_id;
  if (!softwareId) return true; // the match condition already ensures one; kept so the hook stands on its own
  return checkQuota(softwareId, context.properties.maxClientsPerSoftwareId);
}

/**
 * @param {string} softwareId
 * @param {number} limit
 */
async function checkQuota(softwareId, limit) {
  const registered = await host.clients.count({ software_id: softwareId });
  if (registered >= limit) {
    await host.log.warn('software_id over its client quota', { software_id: softwareId, registered });
    throw new RegistrationError('invalid_client_metadata', `software_id ${softwareId} already has ${registered} registered clients (limit ${limit})`);
  }
  return true;
}
