// Inactivity expiry (dynamicClientInactivityExpirationDays): clients whose last use (noted by
// store/usage.ts, at most once an hour) is older are deleted by the purger like any other
// deletion: at the authorization server and in the store, their places given back.
import { deleteClient } from './remove.ts';
import type { RegistrationServices } from './services.ts';

const PAGE = 200;

/** Deletes clients unused for dynamicClientInactivityExpirationDays; returns how many. */
export async function purgeInactive(services: RegistrationServices, now: number): Promise<number> {
  const days = services.config.current.dynamicClientInactivityExpirationDays;
  if (days <= 0) return 0;
  let deleted = 0;
  for (;;) {
    const inactive = await services.clients.query({ usedBefore: now - days * 86_400_000 }, now, PAGE);
    for (const record of inactive) if (await deleteClient(services, record, `inactivity-${now}`)) deleted += 1;
    if (inactive.length < PAGE) return deleted;
  }
}
