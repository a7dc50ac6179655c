// What the host keeps per script (an entry, across versions) and per loaded version.
import type { HookName } from '../policy/index.ts';
import type { CpuMeter } from './cpu.ts';
import type { ScriptIsolate } from './isolate.ts';
import type { MatchConditions } from './match.ts';
import type { ScriptSettings } from './settings.ts';

export interface HookStats {
  calls: number;
  /** Calls not made because the hook's match condition did not hold. */
  notMatched: number;
  errors: number;
  totalMs: number;
  maxMs: number;
}

export interface ScriptVersion {
  name: string;
  file: string;
  code: string;
  hash: string;
  generation: number;
  loadedAt: string;
  settings: ScriptSettings;
  instance: ScriptIsolate;
  rebuilding: Promise<ScriptIsolate> | undefined;
  hooks: Set<HookName>;
  /** The script's match conditions by hook (see match.ts). */
  match: MatchConditions | undefined;
  inFlight: number;
  retired: boolean;
}

export interface ScriptEntry {
  name: string;
  generation: number;
  version: ScriptVersion | undefined;
  state: 'active' | 'failed' | 'disabled' | 'removed';
  lastError: (Record<string, unknown> & { at: string }) | undefined;
  /** Something an operator should know about the active version (hooks it stopped exporting). */
  notice: string | undefined;
  stats: Map<string, HookStats>;
  restarts: number;
  /** CPU time of the script's isolates in the last second, against maxCpuMsPerSecond. */
  cpu: CpuMeter;
  /**
   * An enabled script with no version in force (it never compiled, or cannot be read): the hooks
   * it would run (all, unless its settings declare them) refuse until it has one, unless its
   * settings say `onError: skip`. Undefined while it has a version, or is disabled or removed.
   */
  gap: { hooks: HookName[] | 'all'; failOpen: boolean } | undefined;
}

export function statsOf(entry: ScriptEntry, hook: string): HookStats {
  let stats = entry.stats.get(hook);
  if (!stats) entry.stats.set(hook, (stats = { calls: 0, notMatched: 0, errors: 0, totalMs: 0, maxMs: 0 }));
  return stats;
}

/** Versions in the order their hooks run: priority, then name. */
export const byPriority = (a: ScriptVersion, b: ScriptVersion): number => a.settings.priority - b.settings.priority || a.name.localeCompare(b.name);
