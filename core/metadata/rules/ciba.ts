// OpenID CIBA §4: a CIBA client names its token delivery mode; ping and push need an endpoint.
import { InvalidClientMetadata } from '../../errors/index.ts';
import type { ClientMetadata } from '../fields.ts';

export function ciba(metadata: ClientMetadata): void {
  if (!metadata.grant_types?.includes('urn:openid:params:grant-type:ciba')) return;
  const mode = metadata.backchannel_token_delivery_mode;
  if (!mode) throw new InvalidClientMetadata('backchannel_token_delivery_mode is required for the CIBA grant type');
  if (mode !== 'poll' && !metadata.backchannel_client_notification_endpoint) {
    throw new InvalidClientMetadata(`backchannel_client_notification_endpoint is required for the ${mode} delivery mode`);
  }
}
