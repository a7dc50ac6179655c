// The fleet: every server process sharing the store reports what it runs (reporter.ts); the view
// tells whether they agree and which stopped reporting (view.ts).
export { FleetReporter, type ProcessState } from './reporter.ts';
export { everyProcessHasRevision, everyProcessRuns, fleetView, LIVE_INTERVALS, type FleetView } from './view.ts';
