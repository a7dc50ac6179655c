// What one process of a deployment (the only one, or DCR_WORKERS' leader) runs besides requests:
// the reconciler, and every minute the purges (expired and inactive clients, old decision
// records, processes gone from the fleet view) and, when due, the re-check of client addresses;
// once at start while keys rotate, secrets sealed again with the current key.
import type { AuthorizationServerLink, Reconciler } from '../authorization/index.ts';
import type { Logger } from '../log/index.ts';
import { purgeInactive, recheckAddresses, resealSecrets, type RecheckReport, type RegistrationServices } from '../registration/index.ts';
import type { DecisionLog, FleetRecords } from '../store/index.ts';

/** What one purge deleted. */
export interface PurgeReport {
  expiredClients: number;
  inactiveClients: number;
  decisionRecords: number;
}

export interface BackgroundJobsOptions {
  services: RegistrationServices;
  decisions: DecisionLog;
  fleet: FleetRecords;
  link: AuthorizationServerLink;
  reconciler: Reconciler;
  logger: Logger;
  /** Secrets may be sealed with a previous key (DCR_ENCRYPTION_KEY_PREVIOUS is set). */
  rotating: boolean;
  onRecheck: (report: RecheckReport) => void;
}

/** How often expired clients are purged from the store (they are refused before that too). */
const PURGE_INTERVAL_MS = 60_000;
/** How long the fleet view shows a process that stopped reporting. */
const FLEET_FORGET_MS = 3_600_000;

export function backgroundJobs(options: BackgroundJobsOptions) {
  const { services, decisions, fleet, link, reconciler, logger } = options;
  const { config, clients, secrets, clock } = services;
  /** Aborted when the process stops: background work under way stops at its next step. */
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let lastRecheck = clock();
  let rechecking = false;

  // Retention is judged now, by the setting in force now: lowering it takes effect at the next purge.
  const purge = async (): Promise<PurgeReport> => {
    const now = clock();
    const [expiredClients, decisionRecords, inactiveClients] = await Promise.all([
      clients.purgeExpired(now),
      decisions.purge(now - config.current.decisionLogRetentionDays * 86_400_000),
      purgeInactive(services, now),
      // Processes gone for an hour leave the fleet view.
      fleet.purge(now - FLEET_FORGET_MS),
    ]);
    return { expiredClients, inactiveClients, decisionRecords };
  };
  const recheck = async (): Promise<RecheckReport> => {
    const report = await recheckAddresses(services, logger, stopping.signal);
    options.onRecheck(report);
    return report;
  };
  const everyMinute = () => {
    purge().then(
      ({ inactiveClients }) => inactiveClients > 0 && logger.info({ deleted: inactiveClients }, 'deleted clients unused for dynamicClientInactivityExpirationDays'),
      (err: unknown) => logger.warn({ err }, 'purging expired clients, inactive clients and decision records failed'),
    );
    const every = config.current.addressRecheckIntervalSeconds * 1000;
    if (every > 0 && !rechecking && clock() - lastRecheck >= every) {
      rechecking = true;
      lastRecheck = clock();
      recheck()
        .catch((err: unknown) => logger.warn({ err }, 're-checking the addresses of client URIs failed'))
        .finally(() => (rechecking = false));
    }
  };
  // Where the jobs run, a server named at run time is reconciled at once (every worker sees the change).
  link.whenConnected(() => timer !== undefined && void reconciler.run('configuration'));

  return {
    purge,
    recheck,
    start(): void {
      if (timer) return;
      // In the background: a server that is down at start must not keep Registrar from serving.
      reconciler.start(() => config.current.authorizationServerSyncIntervalSeconds);
      lastRecheck = clock();
      timer = setInterval(everyMinute, PURGE_INTERVAL_MS).unref();
      // Keys rotating: secrets sealed with a previous key are sealed again with the current one, once, in the background.
      if (options.rotating) {
        resealSecrets(clients, secrets, clock, logger, stopping.signal).then(
          (report) => logger.info(report, 'client secrets sealed again with the current encryption key; remove DCR_ENCRYPTION_KEY_PREVIOUS once none is left unreadable'),
          (err: unknown) => logger.warn({ err }, 'sealing client secrets again with the current key failed; the next start tries again'),
        );
      }
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      stopping.abort();
      await reconciler.stop();
    },
  };
}
