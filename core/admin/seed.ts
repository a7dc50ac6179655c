// The administration client named by the environment (DCR_ADMIN_CLIENT_ID / SECRET), created or
// brought up to date at start with every administration scope.
import type { Administration } from '../store/index.ts';
import { ALL_SCOPES } from './scopes.ts';
import { hashSecret, verifySecret } from './secretHash.ts';

export async function seedAdminClient(administration: Administration, client: { clientId: string; secret: string }, clock: () => number): Promise<void> {
  const existing = await administration.findAdminClient(client.clientId);
  if (existing && (await verifySecret(client.secret, existing.secretHash)) && existing.scopes.length === ALL_SCOPES.length) return;
  await administration.saveAdminClient({ clientId: client.clientId, secretHash: await hashSecret(client.secret), scopes: ALL_SCOPES, createdAt: existing?.createdAt ?? clock() });
}
