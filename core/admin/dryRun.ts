// Runs one script's hooks against a registration request as POST /register would, without
// persisting anything: the built-in rules, then the script's createClient, modifyScopes,
// manageClaims and modifyPostResponse. Answers each hook's decision, the log lines the script
// wrote, and the client and response it would have produced, or the error it would have caused.
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../errors/index.ts';
import { pickMetadata } from '../metadata/index.ts';
import { clientInformation } from '../registration/response.ts';
import { draftClient } from '../registration/draft.ts';
import type { RegistrationServices } from '../registration/index.ts';
import type { ScriptHost } from '../sandbox/index.ts';
import type { ClientRecord, ScriptDecision } from '../store/index.ts';

export interface DryRunResult {
  script: string;
  outcome: 'accepted' | 'refused' | 'failed';
  error?: { error: string; error_description: string; status: number };
  decisions: ScriptDecision[];
  logs: Array<Record<string, unknown>>;
  client?: Record<string, unknown>;
  response?: Record<string, unknown>;
}

export async function dryRun(services: RegistrationServices, scripts: ScriptHost, name: string, body: Record<string, unknown>): Promise<DryRunResult> {
  const config = services.config.current;
  const requestId = `dry-run-${randomUUID()}`;
  const trace: ScriptDecision[] = [];
  const capture = scripts.captureLogs(requestId);
  const scoped = { ...services, policy: scripts };
  try {
    const clientId = randomUUID();
    const { client, context } = await draftClient(
      { operation: 'create', request: pickMetadata(body, config, 'client'), clientId, stored: undefined, requestId, trace, statement: undefined, signedRequest: undefined, certificate: undefined },
      scoped,
      config,
      name,
    );
    const now = services.clock();
    const record: ClientRecord = {
      clientId,
      metadata: client,
      secret: null,
      registrationAccessTokenHash: '',
      clientIdIssuedAt: Math.floor(now / 1000),
      clientSecretExpiresAt: 0,
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
    const response = await scripts.modifyPostResponse(clientInformation(record, services.registrationEndpoint, {}), context);
    return { script: name, outcome: 'accepted', decisions: trace, logs: capture.lines, client, response };
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    const error = { error: err.error, error_description: err.message, status: err.status };
    return { script: name, outcome: err.status >= 500 ? 'failed' : 'refused', error, decisions: trace, logs: capture.lines };
  } finally {
    capture.stop();
  }
}
