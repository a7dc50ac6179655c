// PUT registration_client_uri: RFC 7592 §2.2. The body replaces the client's metadata; the
// server-issued members must not be sent, and client_id / client_secret, if sent, must match.
import { ChangedMeanwhile, InvalidRequest } from '../errors/index.ts';
import { newClientSecret, secretsEqual } from '../secrets/index.ts';
import type { ClientRecord } from '../store/index.ts';
import { authenticate } from './authenticate.ts';
import { clientExpiry, needsSecret, nextToken, revisedRecord } from './credentials.ts';
import { draftClient } from './draft.ts';
import { readRegistrationRequest } from './request.ts';
import { clientInformation } from './response.ts';
import type { RegistrationContext, RegistrationServices } from './services.ts';

const SERVER_ISSUED = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

function checkUpdateBody(body: Record<string, unknown>, current: ClientRecord, currentSecret: string | undefined): void {
  const sent = SERVER_ISSUED.filter((member) => member in body);
  if (sent.length > 0) throw new InvalidRequest(`an update must not contain ${sent.join(', ')}`);
  if ('client_id' in body && body.client_id !== current.clientId) {
    throw new InvalidRequest('client_id in the body does not match the client being updated');
  }
  if ('client_secret' in body) {
    const presented = body.client_secret;
    if (typeof presented !== 'string' || currentSecret === undefined || !secretsEqual(presented, currentSecret)) {
      throw new InvalidRequest('client_secret in the body does not match the current client secret');
    }
  }
}

export function update(services: RegistrationServices) {
  return async (ctx: RegistrationContext): Promise<void> => {
    const config = services.config.current;
    const { record: current, token } = await authenticate(ctx, services);
    const now = services.clock();
    const { body, metadata: request, statement, signedRequest, certificate } = await readRegistrationRequest(ctx, services, config, 'update');
    const currentSecret = current.secret === null ? undefined : services.secrets.open(current.secret, current.clientId);
    checkUpdateBody(body, current, currentSecret);

    const { client, context } = await draftClient(
      { operation: 'update', request, clientId: current.clientId, stored: current.metadata, requestId: ctx.state.requestId, statement, signedRequest, certificate },
      services,
      config,
      ctx.state.policy,
    );

    // A method change may create or retire the secret; an unchanged one keeps it.
    let clientSecret: string | undefined;
    let sealed: string | null = null;
    if (needsSecret(client)) {
      const fresh = currentSecret === undefined;
      const secret = currentSecret ?? newClientSecret();
      sealed = fresh ? services.secrets.seal(secret, current.clientId) : current.secret;
      if (fresh || config.returnClientSecretOnRead) clientSecret = secret;
    }
    const expiresAt = request.lifetime === undefined ? current.expiresAt : clientExpiry(request.lifetime, config, now);
    const { tokenHash, registrationAccessToken } = nextToken(config, current, token);
    const record = revisedRecord(current, { metadata: client, secret: sealed, registrationAccessTokenHash: tokenHash, expiresAt }, now);

    const information = clientInformation(record, services.registrationEndpoint, { clientSecret, registrationAccessToken });
    const response = await ctx.state.policy.modifyResponse('modifyPutResponse', information, context);
    const change = { operation: 'update' as const, requestId: ctx.state.requestId, before: current, after: record, policy: ctx.state.policy };
    if (!(await services.authorizationServer.commit(change, () => services.clients.replace(record, current.revision)))) throw new ChangedMeanwhile();
    ctx.state.log.info({ clientId: record.clientId, operation: 'update' }, 'client updated');
    ctx.status = 200;
    ctx.body = response;
  };
}
