// GET registration_client_uri: RFC 7592 §2.1. The answer carries the registration access token:
// the one presented, or its replacement when tokens rotate, stored only once the answer is ready
// (HEAD, whose answer has no body, never rotates).
import { ChangedMeanwhile } from '../errors/index.ts';
import { nextToken } from './credentials.ts';
import { storedClientContext } from '../policy/index.ts';
import { authenticate } from './authenticate.ts';
import { clientInformation } from './response.ts';
import type { RegistrationContext, RegistrationServices } from './services.ts';

export function read(services: RegistrationServices) {
  return async (ctx: RegistrationContext): Promise<void> => {
    const config = services.config.current;
    const { record: current, token } = await authenticate(ctx, services);
    // A HEAD answer has no body to deliver a new token in: it never rotates.
    const { tokenHash, registrationAccessToken } = ctx.method === 'HEAD' ? { tokenHash: current.registrationAccessTokenHash, registrationAccessToken: token } : nextToken(config, current, token);
    const rotated = tokenHash !== current.registrationAccessTokenHash;
    const record = rotated ? { ...current, registrationAccessTokenHash: tokenHash, revision: current.revision + 1, updatedAt: services.clock() } : current;
    const clientSecret =
      config.returnClientSecretOnRead && record.secret !== null ? services.secrets.open(record.secret, record.clientId) : undefined;
    const context = storedClientContext('read', ctx.state.requestId, record.clientId, record.metadata);
    const information = clientInformation(record, services.registrationEndpoint, { clientSecret, registrationAccessToken });
    const response = await ctx.state.policy.modifyResponse('modifyReadResponse', information, context);
    if (rotated && !(await services.clients.replace(record, current.revision))) throw new ChangedMeanwhile();
    ctx.status = 200;
    ctx.body = response;
  };
}
