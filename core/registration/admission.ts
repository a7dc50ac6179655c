// Whether a registration may take its place, decided after every other rule and before anything is
// stored: the initial access token's registrations, the server's client cap, duplicates of a
// software_id. Each limit is a quota of store places held by client_ids, claimed atomically, so
// registrations that race for the last place cannot both win, on one instance or many. A
// registration that fails afterwards gives its places back; a deleted client gives back its cap
// and duplicate places (a client purged on expiry is found gone when the quota is full).
import type { ServerConfig } from '../config/index.ts';
import { InvalidClientMetadata, InvalidToken, RegistrationLimitReached } from '../errors/index.ts';
import type { ClientFilter, ClientRecord, ClientRecords, InitialAccessTokenRecord, QuotaPlaces } from '../store/index.ts';
import { tokenQuota } from './initialAccess.ts';

/** What admission reads and writes: the clients, and the places they hold. */
export interface Places {
  clients: ClientRecords;
  quotas: QuotaPlaces;
}

const CLIENTS_QUOTA = 'registered-clients';
/** A place whose holder is not in the store this long after the claim belongs to a client that is gone. */
const ABANDONED_MS = 60_000;

/** Which earlier clients count as the same software: same software_id within the organisation, else the token. */
function sameSoftware(record: ClientRecord): { quota: string; filter: ClientFilter } | undefined {
  const softwareId = record.metadata.software_id;
  if (typeof softwareId !== 'string') return undefined;
  const organisation = typeof record.metadata.org_id === 'string' ? record.metadata.org_id : undefined;
  if (organisation) return { quota: `software:org:${organisation}:${softwareId}`, filter: { softwareId, organisation } };
  if (record.initialAccessTokenId) return { quota: `software:token:${record.initialAccessTokenId}:${softwareId}`, filter: { softwareId, initialAccessTokenId: record.initialAccessTokenId } };
  return { quota: `software:${softwareId}`, filter: { softwareId } };
}

/** Claims a place; when none is free, frees those of clients that are gone and tries once more. */
async function takePlace(places: Places, quota: string, holder: string, limit: number, now: number): Promise<boolean> {
  if (await places.quotas.claim(quota, holder, limit, now)) return true;
  let freed = false;
  for (const place of await places.quotas.holders(quota)) {
    if (now - place.at > ABANDONED_MS && !(await places.clients.find(place.holder, now))) {
      await places.quotas.release(quota, place.holder);
      freed = true;
    }
  }
  return freed && places.quotas.claim(quota, holder, limit, now);
}

/**
 * Who vouches for a client's software_id: the initial access token it registered with, or the
 * trusted issuer of its software statement; undefined when only the client itself says so.
 */
function verifiedOwner(record: ClientRecord): string | undefined {
  if (record.initialAccessTokenId) return `token:${record.initialAccessTokenId}`;
  if (record.statementIssuer) return `statement:${record.statementIssuer}`;
  return undefined;
}

/**
 * The earlier clients a registration replaces (`replace`): those of the same software with the same
 * verified owner. A registration nobody vouches for replaces nothing (anyone can claim a
 * software_id), nor does one waiting for approval until it is approved.
 */
export async function replacedBy(record: ClientRecord, places: Places, config: ServerConfig, now: number): Promise<ClientRecord[]> {
  if (config.dynamicRegistrationDuplicatePolicy !== 'replace' || record.metadata.client_status === 'pending') return [];
  const owner = verifiedOwner(record);
  const software = sameSoftware(record);
  if (!owner || !software) return [];
  const earlier = await places.clients.query(software.filter, now, 100);
  return earlier.filter((client) => client.clientId !== record.clientId && verifiedOwner(client) === owner);
}

export interface Admission {
  /** Earlier clients of the same software to delete once this one is stored (`replace`). */
  replaces: ClientRecord[];
  /** Gives the places back (the registration failed after all). */
  release(): Promise<void>;
}

export async function admit(record: ClientRecord, token: InitialAccessTokenRecord | undefined, places: Places, config: ServerConfig, now: number): Promise<Admission> {
  const held: string[] = [];
  const release = async () => {
    await Promise.all(held.map((quota) => places.quotas.release(quota, record.clientId)));
  };
  const claim = async (quota: string, limit: number, reclaim: boolean) => {
    const won = reclaim ? await takePlace(places, quota, record.clientId, limit, now) : await places.quotas.claim(quota, record.clientId, limit, now);
    if (won) held.push(quota);
    return won;
  };
  try {
    // Every registration a token makes holds a place, so its registrations are counted even without a maximum.
    if (token && !(await claim(tokenQuota(token), token.maxRegistrations ?? Number.MAX_SAFE_INTEGER, false))) {
      throw new InvalidToken('the initial access token has no registrations left');
    }
    const cap = config.dynamicRegistrationMaxClients;
    if (cap > 0 && !(await claim(CLIENTS_QUOTA, cap, true))) {
      throw new RegistrationLimitReached(`this server takes at most ${cap} registered clients`, 'dynamicRegistrationMaxClients', cap);
    }
    const software = config.dynamicRegistrationDuplicatePolicy === 'refuse' ? sameSoftware(record) : undefined;
    if (software) {
      const earlier = (await places.clients.query(software.filter, now, 100)).filter((client) => client.clientId !== record.clientId);
      if (earlier.length > 0 || !(await claim(software.quota, 1, true))) {
        throw new InvalidClientMetadata(`a client of software_id ${String(record.metadata.software_id)} is already registered here`);
      }
    }
    return { replaces: await replacedBy(record, places, config, now), release };
  } catch (err) {
    await release();
    throw err;
  }
}

/** A deleted client gives back its places in the cap and the duplicate quota (not its token's: registrations stay counted). */
export async function releasePlaces(places: Places, record: ClientRecord): Promise<void> {
  const software = sameSoftware(record);
  await Promise.all([places.quotas.release(CLIENTS_QUOTA, record.clientId), ...(software ? [places.quotas.release(software.quota, record.clientId)] : [])]);
}

/** How many registrations a token has made. */
export const registrationsMade = async (places: Places, token: InitialAccessTokenRecord): Promise<number> => (await places.quotas.holders(tokenQuota(token))).length;
