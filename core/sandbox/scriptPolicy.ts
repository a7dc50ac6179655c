// The policy port implemented by scripts: for each hook, the active versions exporting it run in
// priority order, and their results combine as the hook table says. A script's refusal (false, or
// a RegistrationError with its own code) stops the request with that error.
import type { ClientCertificate } from '../certificate/index.ts';
import { OAuthError, TemporarilyUnavailable } from '../errors/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';
import { HOOKS, REJECTION_CODES, type Combine, type HookDeclaration, type HookName, type PolicyEngine, type RejectionCode, type RequestPolicy, type RequestScope } from '../policy/index.ts';
import type { CallScope } from './invoke.ts';
import type { CallOutcome } from './isolate.ts';
import type { ScriptVersion } from './versions.ts';

/** Response members scripts never see, and what they see instead. */
export const CREDENTIALS = ['client_secret', 'registration_access_token'] as const;
export const WITHHELD = '(withheld from scripts)';

/** What a shadow script's answer would have done to the decision: nothing, refuse it, let a refused one through, or change it. */
export type ShadowVerdict = 'agreed' | 'would-refuse' | 'would-accept' | 'would-change' | 'failed';
export type ShadowObserver = (call: { script: string; hook: HookName; verdict: ShadowVerdict }) => void;

/** A version in shadow mode: its settings say so, or its name is `<name>.next` and its settings say nothing. */
export const inShadow = (version: ScriptVersion): boolean => version.settings.mode === 'shadow' || (version.settings.mode === undefined && version.name.endsWith('.next'));

export interface ActiveScripts {
  /** Active versions exporting `hook`, in priority order (only `only` when given). */
  active(hook: HookName, only?: string): ScriptVersion[];
  /** Enabled scripts that would run `hook` and have no version in force (they never compiled): the hook refuses. */
  missing(hook: HookName): string[];
  call(version: ScriptVersion, hook: HookName, args: unknown[], scope: CallScope): Promise<CallOutcome | undefined>;
}

type Answer = Extract<CallOutcome, { kind: 'value' }>;
/** One script's answer applied to the decision so far: the new value, and whether it is final. */
type Step = (answer: Answer, current: unknown, refuse: () => OAuthError) => { value: unknown; done?: boolean };

/** `true` means "as changed in place": the changed argument, when the script changed it. */
const changedInPlace = (answer: Answer): unknown => answer.args?.[0];

const STEPS: Record<Combine, Step> = {
  client(answer, current, refuse) {
    if (answer.value === false) throw refuse();
    if (answer.value === true) {
      const modified = (changedInPlace(answer) as { client?: unknown } | undefined)?.client;
      return { value: modified && typeof modified === 'object' ? modified : current };
    }
    return { value: answer.value && typeof answer.value === 'object' ? { ...(current as object), ...answer.value } : current };
  },
  veto(answer, current, refuse) {
    if (answer.value === false) throw refuse();
    return { value: current };
  },
  list: (answer) => ({ value: [...new Set(answer.value as string[])] }),
  response(answer, current) {
    if (answer.value === true) return { value: changedInPlace(answer) ?? current };
    return { value: answer.value && typeof answer.value === 'object' ? answer.value : current };
  },
  every(answer, current, refuse) {
    if (answer.value !== true) throw refuse();
    return { value: current };
  },
  first: (answer, current) => (answer.value !== undefined && answer.value !== null && answer.value !== '' ? { value: answer.value, done: true } : { value: current }),
  lifecycle: (_answer, current) => ({ value: current }),
};

const refusalOf = (declared: HookDeclaration, script: string) => () => {
  const refusal = declared.refusal ?? { code: 'invalid_request', status: 400, description: 'refused by policy' };
  return new OAuthError(refusal.code, `${refusal.description} (${script})`, { status: refusal.status });
};

/**
 * Runs `hook` over the active scripts. `input` is the value the hook works on (passed before the
 * context) and the decision's starting point; for client hooks the draft client is.
 */
async function decide(scripts: ActiveScripts, scope: RequestScope & CallScope, hook: HookName, input: unknown, context: object, onShadow?: ShadowObserver): Promise<unknown> {
  const declared: HookDeclaration = HOOKS[hook];
  const step = STEPS[declared.combine];
  // A policy saved but not in force (it never compiled) enforces nothing: its decisions refuse, closed, until it does.
  if (scope.onlyScript === undefined && declared.combine !== 'lifecycle') {
    const missing = scripts.missing(hook);
    if (missing.length > 0) throw new PolicyNotInForce(missing);
  }
  const versions = scripts.active(hook, scope.onlyScript);
  // A dry run of one script runs it as enforced, whatever its mode; key hooks have nothing to compare.
  const shadowing = scope.onlyScript === undefined && declared.combine !== 'first' && declared.combine !== 'lifecycle';
  const shadows = shadowing ? versions.filter(inShadow) : [];
  let current = input;
  let refusal: unknown;
  try {
    for (const version of shadows.length > 0 ? versions.filter((candidate) => !inShadow(candidate)) : versions) {
      const outcome = await scripts.call(version, hook, argsFor(declared, version, current, context), scope);
      if (!outcome) continue;
      if (outcome.kind === 'rejected') {
        const code = outcome.code as RejectionCode;
        throw new OAuthError(code, outcome.description, { status: REJECTION_CODES[code] });
      }
      const next = step(outcome, current, refusalOf(declared, version.name));
      if (next.done) return next.value;
      current = next.value;
    }
  } catch (err) {
    refusal = err;
  }
  for (const version of shadows) await shadow(scripts, scope, hook, version, current, context, refusal !== undefined, onShadow);
  if (refusal !== undefined) throw refusal;
  return current;
}

function argsFor(declared: HookDeclaration, version: ScriptVersion, current: unknown, context: object): unknown[] {
  const scriptContext = { ...context, ...(declared.combine === 'client' ? { client: current } : {}), script: version.name, properties: version.settings.properties };
  return declared.input ? [current, scriptContext] : [scriptContext];
}

/** Runs a shadow version on the decision as the enforced scripts left it; records what it would have done, changes nothing. */
async function shadow(scripts: ActiveScripts, scope: RequestScope & CallScope, hook: HookName, version: ScriptVersion, decided: unknown, context: object, refused: boolean, onShadow?: ShadowObserver): Promise<void> {
  const declared: HookDeclaration = HOOKS[hook];
  const recorded = scope.decisions.length;
  let verdict: ShadowVerdict;
  try {
    const outcome = await scripts.call(version, hook, argsFor(declared, version, structuredClone(decided), context), scope);
    let wouldRefuse = outcome?.kind === 'rejected';
    let value = decided;
    if (outcome?.kind === 'value') {
      try {
        value = STEPS[declared.combine](outcome, decided, refusalOf(declared, version.name)).value;
      } catch {
        wouldRefuse = true;
      }
    }
    if (refused) verdict = wouldRefuse ? 'agreed' : 'would-accept';
    else verdict = wouldRefuse ? 'would-refuse' : JSON.stringify(value) === JSON.stringify(decided) ? 'agreed' : 'would-change';
  } catch {
    verdict = 'failed';
  }
  const entry = scope.decisions[recorded];
  if (entry) entry.decision = `shadow:${verdict}`;
  onShadow?.({ script: version.name, hook, verdict });
}

/** 503: a script that would decide has no version in force; named, so the operator reading the answer knows which. */
export class PolicyNotInForce extends TemporarilyUnavailable {
  constructor(scripts: string[]) {
    super(`the registration policy is not in force: ${scripts.map((name) => `script "${name}"`).join(', ')} has no working version`, 5);
  }
}

export class ScriptPolicy implements PolicyEngine {
  readonly #scripts: ActiveScripts;

  readonly #onShadow: ShadowObserver | undefined;

  constructor(scripts: ActiveScripts, onShadow?: ShadowObserver) {
    this.#scripts = scripts;
    this.#onShadow = onShadow;
  }

  forRequest({ requestId, onlyScript }: RequestScope): RequestPolicy {
    const scope = { requestId, onlyScript, decisions: [] };
    const run = (hook: HookName, input: unknown, context: object) => decide(this.#scripts, scope, hook, input, context, this.#onShadow);
    return {
      decisions: scope.decisions,
      async decideClient(hook, context) {
        const decided = await run(hook, context.client, context);
        return decided === context.client ? undefined : (decided as ClientMetadata);
      },
      async deleteClient(context) {
        await run('deleteClient', undefined, context);
      },
      decideList: async (hook, list, context) => (await run(hook, list, context)) as string[],
      async modifyResponse(hook, response, context) {
        // Credentials never enter a sandbox: scripts see placeholders, and the answer carries the real values.
        const withheld = CREDENTIALS.filter((member) => typeof response[member] === 'string');
        const shown = { ...response, ...Object.fromEntries(withheld.map((member) => [member, WITHHELD])) };
        const answer = (await run(hook, shown, context)) as Record<string, unknown>;
        return withheld.length === 0 ? answer : { ...answer, ...Object.fromEntries(withheld.map((member) => [member, response[member]])) };
      },
      modifyServerClient: async (serverClient, context) => (await run('modifyAuthorizationServerClient', serverClient, context)) as Record<string, unknown>,
      async isCertValidForClient(certificate: ClientCertificate, context) {
        await run('isCertValidForClient', certificate, context);
      },
      resolveKey: async (hook, context) => {
        const answer = await run(hook, undefined, context);
        return answer ?? undefined;
      },
    };
  }
}
