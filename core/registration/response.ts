// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): credentials first, then
// the stored metadata. client_secret and registration_access_token appear only when the caller
// passes them (they are not recoverable from the store except the sealed secret).
import type { ClientRecord } from '../store/index.ts';
import type { ClientResponse } from '../policy/index.ts';

export interface IssuedCredentials {
  clientSecret?: string | undefined;
  registrationAccessToken?: string | undefined;
}

export const registrationClientUri = (endpoint: string, clientId: string): string =>
  `${endpoint}/${encodeURIComponent(clientId)}`;

export function clientInformation(record: ClientRecord, endpoint: string, issued: IssuedCredentials): ClientResponse {
  const response: ClientResponse = { client_id: record.clientId };
  if (issued.clientSecret !== undefined) {
    response.client_secret = issued.clientSecret;
  }
  response.client_id_issued_at = record.clientIdIssuedAt;
  if (record.secret !== null) response.client_secret_expires_at = record.clientSecretExpiresAt;
  if (issued.registrationAccessToken !== undefined) response.registration_access_token = issued.registrationAccessToken;
  response.registration_client_uri = registrationClientUri(endpoint, record.clientId);
  // Metadata can never overwrite the credentials (a custom attribute named client_id, say).
  return { ...response, ...record.metadata, ...response };
}
