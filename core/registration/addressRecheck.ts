// The background re-check of the hosts stored clients' dereferenced URIs name (jwks_uri,
// sector_identifier_uri, request_uris, back-channel URIs): a name judged public at registration
// can point elsewhere later (DNS rebinding). A client whose host now resolves to a private address
// gets the finding recorded on it (GET /admin/clients/{id} shows it), one warn line, and, when
// addressRecheckDisablesClients says so, is disabled (at the authorization server too). A finding
// that no longer holds is cleared; a disabled client stays disabled until an administrator enables
// it. A host with no complete answer changes nothing. Hosts resolve on the same resolver and cache
// as at registration, so a run costs one query per distinct host.
import type { Logger } from 'pino';
import { dereferencedHosts } from '../metadata/index.ts';
import { clientNames, isPrivateAddress } from '../net/index.ts';
import { outboundPolicy } from '../outbound/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { reviseClient } from './revise.ts';
import type { RegistrationServices } from './services.ts';

const PAGE = 500;

export interface RecheckReport {
  checked: number;
  /** Clients whose hosts resolve to a private address now (found before or in this run). */
  flagged: number;
  newlyFlagged: number;
  cleared: number;
  disabled: number;
}

/** The first of the client's hosts that resolves to a private address, or null when none does, or undefined when some could not be judged. */
async function privateHost(record: ClientRecord, services: RegistrationServices): Promise<ClientRecord['addressFinding'] | null | undefined> {
  const resolver = clientNames.configure(outboundPolicy(services.config.current).dns);
  let unknown = false;
  for (const [host, member] of dereferencedHosts(record.metadata)) {
    const resolution = await resolver.resolve(host);
    if (resolution.kind === 'unknown') unknown = true;
    else if (resolution.kind === 'addresses' && resolution.addresses.some(isPrivateAddress)) return { at: services.clock(), member, host };
  }
  return unknown ? undefined : null;
}

export async function recheckAddresses(services: RegistrationServices, logger: Logger, signal?: AbortSignal): Promise<RecheckReport> {
  const report: RecheckReport = { checked: 0, flagged: 0, newlyFlagged: 0, cleared: 0, disabled: 0 };
  const config = services.config.current;
  if (config.outboundAllowPrivateAddresses) return report;
  for (let offset = 0; !signal?.aborted; offset += PAGE) {
    const page = await services.clients.query({}, services.clock(), PAGE, offset);
    for (const record of page) {
      if (signal?.aborted) break;
      report.checked++;
      const finding = await privateHost(record, services);
      if (finding === undefined) {
        if (record.addressFinding) report.flagged++;
        continue;
      }
      if (finding === null) {
        if (!record.addressFinding) continue;
        await reviseClient(services, record, { addressFinding: undefined }, `address-recheck-${report.checked}`).catch(() => undefined);
        report.cleared++;
        continue;
      }
      report.flagged++;
      const disable = config.addressRecheckDisablesClients && !record.disabled;
      const known = record.addressFinding?.member === finding?.member && record.addressFinding?.host === finding?.host;
      if (known && !disable) continue;
      report.newlyFlagged += known ? 0 : 1;
      try {
        await reviseClient(services, record, { addressFinding: known ? record.addressFinding : finding, ...(disable ? { disabled: true } : {}) }, `address-recheck-${record.clientId}`);
        if (disable) report.disabled++;
        logger.warn({ clientId: record.clientId, member: finding?.member, host: finding?.host, disabled: disable || record.disabled === true }, 'a client URI servers dereference now resolves to a private address');
      } catch (err) {
        logger.warn({ clientId: record.clientId, err }, 'recording an address re-check finding failed; the next run tries again');
      }
    }
    if (page.length < PAGE) break;
  }
  return report;
}
