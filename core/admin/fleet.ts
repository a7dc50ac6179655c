// GET /admin/fleet: every server process sharing the store (each worker, each instance), what it
// runs and whether they agree; and waiting for a change to reach all of them.
import type { Context } from 'koa';
import { fleetView, type FleetView } from '../fleet/index.ts';
import type { FleetRecords } from '../store/index.ts';

export interface FleetAccess {
  records: FleetRecords;
  intervalMs: () => number;
  clock: () => number;
}

export const currentFleet = async (fleet: FleetAccess): Promise<FleetView> => fleetView(await fleet.records.list(), fleet.clock(), fleet.intervalMs());

export function fleetStatus(fleet: FleetAccess) {
  return async (ctx: Context): Promise<void> => {
    ctx.body = await currentFleet(fleet);
  };
}

/** Polls the view until `reached` holds or `waitMs` has passed; the last view, and whether it held. */
export async function waitForFleet(fleet: FleetAccess, reached: (view: FleetView) => boolean, waitMs: number): Promise<{ view: FleetView; reached: boolean }> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const view = await currentFleet(fleet);
    if (reached(view)) return { view, reached: true };
    if (performance.now() >= deadline) return { view, reached: false };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
