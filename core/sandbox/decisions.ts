// The policy port implemented by scripts: for each hook, the active versions exporting it run in
// priority order, and their results combine as the hook table says. A script's refusal (false, or
// a RegistrationError with its own code) stops the request with that error.
import type { ClientCertificate } from '../certificate/index.ts';
import { OAuthError } from '../errors/index.ts';
import type { ClientMetadata } from '../metadata/index.ts';
import { HOOKS, REJECTION_CODES, type Combine, type HookDeclaration, type HookName, type PolicyEngine, type RejectionCode, type RequestPolicy, type RequestScope } from '../policy/index.ts';
import type { CallScope } from './invoke.ts';
import type { CallOutcome } from './isolate.ts';
import type { ScriptVersion } from './versions.ts';

/** Response members scripts never see, and what they see instead. */
export const CREDENTIALS = ['client_secret', 'registration_access_token'] as const;
export const WITHHELD = '(withheld from scripts)';

export interface ActiveScripts {
  /** Active versions exporting `hook`, in priority order (only `only` when given). */
  active(hook: HookName, only?: string): ScriptVersion[];
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
async function decide(scripts: ActiveScripts, scope: RequestScope & CallScope, hook: HookName, input: unknown, context: object): Promise<unknown> {
  const declared: HookDeclaration = HOOKS[hook];
  const step = STEPS[declared.combine];
  let current = input;
  for (const version of scripts.active(hook, scope.onlyScript)) {
    const scriptContext = { ...context, ...(declared.combine === 'client' ? { client: current } : {}), script: version.name, properties: version.settings.properties };
    const outcome = await scripts.call(version, hook, declared.input ? [current, scriptContext] : [scriptContext], scope);
    if (!outcome) continue;
    if (outcome.kind === 'rejected') {
      const code = outcome.code as RejectionCode;
      throw new OAuthError(code, outcome.description, { status: REJECTION_CODES[code] });
    }
    const next = step(outcome, current, refusalOf(declared, version.name));
    if (next.done) return next.value;
    current = next.value;
  }
  return current;
}

export class ScriptPolicy implements PolicyEngine {
  readonly #scripts: ActiveScripts;

  constructor(scripts: ActiveScripts) {
    this.#scripts = scripts;
  }

  forRequest({ requestId, onlyScript }: RequestScope): RequestPolicy {
    const scope = { requestId, onlyScript, decisions: [] };
    const run = (hook: HookName, input: unknown, context: object) => decide(this.#scripts, scope, hook, input, context);
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
