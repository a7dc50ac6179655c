// Runs one script's hooks against a registration request as POST /register would, without
// persisting anything: the built-in rules, then the script's createClient, modifyScopes,
// manageClaims and modifyPostResponse. Answers each hook's decision, the log lines the script
// wrote, and the client and response it would have produced, or the error it would have caused.
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../errors/index.ts';
import { pickMetadata } from '../metadata/index.ts';
import type { RequestPolicy, ScriptDecision } from '../policy/index.ts';
import { clientInformation, draftClient, newRecord, type RegistrationServices } from '../registration/index.ts';
import type { ScriptHost } from '../sandbox/index.ts';

export interface DryRunResult {
  script: string;
  outcome: 'accepted' | 'refused' | 'failed';
  error?: { error: string; error_description: string; status: number };
  decisions: ScriptDecision[];
  logs: Array<Record<string, unknown>>;
  client?: Record<string, unknown>;
  response?: Record<string, unknown>;
}

/**
 * A registration as POST /register would make it, stored nowhere: the built-in rules, the policy's
 * hooks and the response policy; throws the OAuthError the request would answer. `offline`: no
 * network at all (replay).
 */
export async function simulateRegistration(services: RegistrationServices, policy: RequestPolicy, body: Record<string, unknown>, requestId: string, options: { offline?: boolean } = {}) {
  const config = services.config.current;
  const clientId = randomUUID();
  const { client, context } = await draftClient(
    { operation: 'create', request: pickMetadata(body, config, 'client'), clientId, stored: undefined, requestId, statement: undefined, signedRequest: undefined, certificate: undefined, offline: options.offline },
    services,
    config,
    policy,
  );
  const record = newRecord(clientId, { metadata: client, secret: null, registrationAccessTokenHash: '', expiresAt: null }, services.clock());
  const response = await policy.modifyResponse('modifyPostResponse', clientInformation(record, services.registrationEndpoint, {}), context);
  return { client, response };
}

export async function dryRun(services: RegistrationServices, scripts: ScriptHost, name: string, body: Record<string, unknown>): Promise<DryRunResult> {
  const requestId = `dry-run-${randomUUID()}`;
  const policy = scripts.forRequest({ requestId, onlyScript: name });
  const capture = scripts.captureLogs(requestId);
  try {
    const { client, response } = await simulateRegistration(services, policy, body, requestId);
    return { script: name, outcome: 'accepted', decisions: policy.decisions, logs: capture.lines, client, response };
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    const error = { error: err.error, error_description: err.message, status: err.status };
    return { script: name, outcome: err.status >= 500 ? 'failed' : 'refused', error, decisions: policy.decisions, logs: capture.lines };
  } finally {
    capture.stop();
  }
}
