// Replay: what a candidate version of a script would have decided on recorded registrations,
// before it is saved. The scripts folder is loaded twice into scratch script hosts, once as it is
// and once with the candidate in place of the named script; each recorded registration request
// (POST, as kept by decisionLogStoreRequests) runs through the built-in rules and every active
// script's hooks on both, and the report says where the outcome or the resulting client
// changed. Nothing is stored, nothing goes to the network (the built-in rules do not resolve or
// fetch a client's URLs; the http and jwks plugins are refused, so a script that depends on them
// shows its error path), plugins keep nothing the live scripts share (a scope of its own), and a
// replay ends by REPLAY_DEADLINE_MS whatever it replays.
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequest, OAuthError } from '../errors/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';
import type { PolicyEngine } from '../policy/index.ts';
import type { RegistrationServices } from '../registration/index.ts';
import { simulateRegistration } from './dryRun.ts';
import type { DecisionLog, DecisionRecord } from '../store/index.ts';

/** The replay endpoint's body. */
export const ReplayRequestSchema = Type.Object(
  {
    source: Type.String({ minLength: 1, description: "The candidate script's source." }),
    settings: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Its settings; absent: the current settings file.' })),
    last: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'How many recent registrations (default 100).' })),
    since: Type.Optional(Type.Union([Type.String(), Type.Integer()], { description: 'Only registrations from this time (ISO 8601 or ms).' })),
  },
  { additionalProperties: false },
);

/** A scratch script host over a folder (built by the composition root: same plugins, read-only services). */
export interface ScratchHost extends PolicyEngine {
  loadAll(): Promise<void>;
  status(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}
export type ScratchHostFactory = (dir: string) => ScratchHost;

export interface ReplayRequest {
  /** The candidate script's source. */
  source: string;
  /** Its settings (the settings file's content); absent: the current settings file, if any. */
  settings?: Record<string, unknown> | undefined;
  /** How many of the most recent recorded registrations (default 100, at most 1000). */
  last?: number | undefined;
  /** Only registrations at or after this time (ms). */
  since?: number | undefined;
}

interface Outcome {
  outcome: 'accepted' | 'refused';
  error?: string;
  client?: ClientMetadata;
}

export interface ReplayRecord {
  request_id: string;
  client_id: string | null;
  before: Outcome;
  after: Outcome;
  /** `outcome` when the outcome changed; otherwise the members whose value changed, with both values (null: absent). */
  diff: Record<string, { before: unknown; after: unknown }>;
}

export interface ReplayReport {
  script: string;
  total: number;
  changed: number;
  /** Recorded registrations without a kept request (not replayable). */
  skipped: number;
  /** The replay reached its deadline before the last registration: the rest are left out. */
  truncated: boolean;
  records: ReplayRecord[];
}

/** The folder's files, with the candidate (and its settings) in place of the named script. */
function scratchFolder(from: string, name: string, candidate?: { source: string; settings: Record<string, unknown> | undefined }): string {
  const dir = mkdtempSync(join(tmpdir(), 'registrar-replay-'));
  let extension = 'js';
  for (const file of readdirSync(from)) {
    const path = join(from, file);
    if (!statSync(path).isFile()) continue;
    const own = file === `${name}.js` || file === `${name}.ts` || file === `${name}.json`;
    if (own && file !== `${name}.json`) extension = file.endsWith('.ts') ? 'ts' : 'js';
    if (own && candidate && (file !== `${name}.json` || candidate.settings !== undefined)) continue;
    copyFileSync(path, join(dir, file));
  }
  if (candidate) {
    writeFileSync(join(dir, `${name}.${extension}`), candidate.source);
    if (candidate.settings !== undefined) writeFileSync(join(dir, `${name}.json`), JSON.stringify(candidate.settings));
  }
  return dir;
}

async function evaluate(services: RegistrationServices, policyEngine: PolicyEngine, body: Record<string, unknown>): Promise<Outcome> {
  const requestId = `replay-${randomUUID()}`;
  try {
    const { response } = await simulateRegistration(services, policyEngine.forRequest({ requestId }), body, requestId, { offline: true });
    const { client_id: _id, client_id_issued_at: _issued, client_secret_expires_at: _expires, registration_client_uri: _uri, ...shown } = response;
    return { outcome: 'accepted', client: shown as ClientMetadata };
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    return { outcome: 'refused', error: `${err.error}: ${err.message}` };
  }
}

function difference(before: Outcome, after: Outcome): ReplayRecord['diff'] {
  // A changed outcome is the difference: the members of a client on one side only say nothing more.
  if (before.outcome !== after.outcome || before.error !== after.error) return { outcome: { before: before.error ?? before.outcome, after: after.error ?? after.outcome } };
  const diff: ReplayRecord['diff'] = {};
  const members = new Set([...Object.keys(before.client ?? {}), ...Object.keys(after.client ?? {})]);
  for (const member of members) {
    const was = before.client?.[member];
    const is = after.client?.[member];
    if (JSON.stringify(was) !== JSON.stringify(is)) diff[member] = { before: was ?? null, after: is ?? null };
  }
  return diff;
}

/** A replay's name: what a script file may be called, and short (it names files). */
export const REPLAYABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Longest a replay runs; registrations it has not reached by then are left out (`truncated`). */
export const REPLAY_DEADLINE_MS = 30_000;

export async function replay(services: RegistrationServices, log: DecisionLog, scriptsDir: string, scratch: ScratchHostFactory, name: string, request: ReplayRequest): Promise<ReplayReport> {
  if (!REPLAYABLE_NAME.test(name)) throw new InvalidRequest('a script name is 1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit');
  const last = Math.min(request.last ?? 100, 1000);
  const recorded: DecisionRecord[] = await log.list({ operation: 'create', limit: last, ...(request.since === undefined ? {} : { since: request.since }) });
  const deadline = performance.now() + REPLAY_DEADLINE_MS;
  // Every folder and host made is undone on every path, a failure half-way included.
  const folders: string[] = [];
  const hosts: ScratchHost[] = [];
  try {
    folders.push(scratchFolder(scriptsDir, name));
    folders.push(scratchFolder(scriptsDir, name, { source: request.source, settings: request.settings }));
    const [current, candidate] = folders.map((dir) => scratch(dir)) as [ScratchHost, ScratchHost];
    hosts.push(current, candidate);
    await Promise.all([current.loadAll(), candidate.loadAll()]);
    const loaded = candidate.status().find((entry) => entry.name === name);
    if (!loaded || loaded.state !== 'active') {
      const reason = (loaded?.lastError as { message?: string } | undefined)?.message ?? 'it was not loaded';
      throw new InvalidRequest(`the candidate cannot be loaded: ${reason}`);
    }
    const report: ReplayReport = { script: name, total: 0, changed: 0, skipped: 0, truncated: false, records: [] };
    for (const decision of recorded) {
      if (performance.now() > deadline) {
        report.truncated = true;
        break;
      }
      if (!decision.request) {
        report.skipped += 1;
        continue;
      }
      const before = await evaluate(services, current, decision.request);
      const after = await evaluate(services, candidate, decision.request);
      const diff = difference(before, after);
      report.total += 1;
      if (Object.keys(diff).length > 0) report.changed += 1;
      report.records.push({ request_id: decision.requestId, client_id: decision.clientId, before, after, diff });
    }
    return report;
  } finally {
    await Promise.all(hosts.map((host) => host.close()));
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  }
}
