// At most `maxClientsPerSoftwareId` registrations per software_id. Registrations without a
// software_id are untouched.
export const uses = ['clients', 'log'];

/** @type {import('./registrar.d.ts').CreateClient<{ maxClientsPerSoftwareId: number }>} */
export async function createClient(context) {
  const softwareId = context.client.software_id;
  if (!softwareId) return true;
  const registered = await host.clients.count({ software_id: softwareId });
  if (registered >= context.properties.maxClientsPerSoftwareId) {
    await host.log.warn('software_id over its client quota', { software_id: softwareId, registered });
    throw new RegistrationError(
      'invalid_client_metadata',
      `software_id ${softwareId} already has ${registered} registered clients (limit ${context.properties.maxClientsPerSoftwareId})`,
    );
  }
  return true;
}
