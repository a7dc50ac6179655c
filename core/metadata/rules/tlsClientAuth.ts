// RFC 8705 §2.1.2: tls_client_auth names exactly one certificate subject parameter.
import { InvalidClientMetadata } from '../../errors/index.ts';
import type { ClientMetadata } from '../fields.ts';

export const TLS_SUBJECT_MEMBERS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;

export function tlsClientAuth(metadata: ClientMetadata): void {
  if (metadata.token_endpoint_auth_method !== 'tls_client_auth') return;
  const present = TLS_SUBJECT_MEMBERS.filter((member) => metadata[member] !== undefined);
  if (present.length !== 1) {
    throw new InvalidClientMetadata(
      `tls_client_auth requires exactly one of ${TLS_SUBJECT_MEMBERS.join(', ')}${present.length ? ` (got ${present.join(', ')})` : ''}`,
    );
  }
}
