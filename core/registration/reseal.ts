// Key rotation: every stored client secret not sealed with the current encryption key is sealed
// again with it (the plaintext does not change, so the authorization server is not told). A
// change that races it wins (the revision moved); what is left is sealed again at the next start.
import type { Logger } from 'pino';
import type { SecretBox } from '../secrets/index.ts';
import type { ClientRecords } from '../store/index.ts';

const PAGE = 200;

export interface ResealReport {
  resealed: number;
  /** Changed by another request meanwhile: left for the next run. */
  raced: number;
  /** Sealed with a key no longer configured: unreadable until it is. */
  unreadable: number;
}

export async function resealSecrets(clients: ClientRecords, secrets: SecretBox, clock: () => number, logger: Logger, signal?: AbortSignal): Promise<ResealReport> {
  const report: ResealReport = { resealed: 0, raced: 0, unreadable: 0 };
  for (let offset = 0; !signal?.aborted; offset += PAGE) {
    const page = await clients.query({}, clock(), PAGE, offset);
    for (const record of page) {
      if (signal?.aborted) break;
      if (record.secret === null || secrets.current(record.secret)) continue;
      let plaintext: string;
      try {
        plaintext = secrets.open(record.secret, record.clientId);
      } catch (err) {
        report.unreadable += 1;
        logger.error({ clientId: record.clientId, err }, 'a client secret is sealed with a key that is not configured');
        continue;
      }
      const sealed = { ...record, secret: secrets.seal(plaintext, record.clientId), revision: record.revision + 1 };
      if (await clients.replace(sealed, record.revision)) report.resealed += 1;
      else report.raced += 1;
    }
    if (page.length < PAGE) break;
  }
  return report;
}
