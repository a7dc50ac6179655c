// The fleet as an operator asks about it: the processes reporting, whether they agree (one
// configuration revision, the same script versions in force, the same authorization server), and
// those that stopped reporting (three intervals late), which age out.
import type { ProcessReport } from '../store/index.ts';

/** Reports older than this many intervals belong to processes that are gone. */
export const LIVE_INTERVALS = 3;

export interface FleetView {
  processes: ProcessReport[];
  /** Processes that stopped reporting (killed, partitioned), until they are purged. */
  stale: Array<Pick<ProcessReport, 'id' | 'host' | 'pid' | 'reportedAt'>>;
  agree: { configuration: boolean; scripts: boolean; authorizationServer: boolean };
}

/** The scripts in force, as one comparable value. */
const inForce = (report: ProcessReport) =>
  JSON.stringify(
    report.scripts
      .filter((script) => script.state === 'active')
      .map((script) => [script.name, script.version])
      .sort(),
  );

export function fleetView(reports: ProcessReport[], now: number, intervalMs: number): FleetView {
  const liveSince = now - LIVE_INTERVALS * intervalMs;
  const processes = reports.filter((report) => report.reportedAt >= liveSince);
  const same = (value: (report: ProcessReport) => unknown) => new Set(processes.map((report) => JSON.stringify(value(report)))).size <= 1;
  return {
    processes,
    stale: reports.filter((report) => report.reportedAt < liveSince).map(({ id, host, pid, reportedAt }) => ({ id, host, pid, reportedAt })),
    agree: {
      configuration: same((report) => report.configurationRevision),
      scripts: same(inForce),
      authorizationServer: same((report) => [report.authorizationServer.type, report.authorizationServer.topology]),
    },
  };
}

/** Whether every live process runs `script` at a version starting with `version`. */
export const everyProcessRuns = (view: FleetView, script: string, version: string): boolean =>
  view.processes.length > 0 &&
  view.processes.every((report) => report.scripts.some((each) => each.name === script && each.state === 'active' && each.version !== null && each.version.startsWith(version)));

/** Whether every live process has configuration `revision` (or a later one) in force. */
export const everyProcessHasRevision = (view: FleetView, revision: number): boolean => view.processes.every((report) => report.configurationRevision >= revision);
