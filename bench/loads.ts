// The loads the benchmarks drive, each a function of a running server (and optionally the
// autocannon options to change, such as connections): a typical registration, the one Janssen's
// documentation shows (with a key set URL), one that every sample hook applies to, and a read of a
// registered client.
import type autocannon from 'autocannon';
import { httpRequest } from '../test/helpers/server.ts';
import { drive, postJson, type Running, type Sample } from './harness.ts';

export const BODY = JSON.stringify({
  redirect_uris: ['https://client.example.org/cb'],
  client_name: 'My Example',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'openid',
});

/**
 * The registration request Janssen's documentation shows: the typical one with a key set URL, which
 * the address check resolves (its host is the client's, and its DNS is the client's too).
 */
export const JANSSEN_BODY = JSON.stringify({
  ...JSON.parse(BODY),
  logo_uri: 'https://client.example.org/logo.png',
  jwks_uri: 'https://client.example.org/my_public_keys.jwks',
  contacts: ['ve7jtb@example.org', 'mary@example.org'],
});

export type Load = (server: Running, options?: autocannon.Options | object) => Promise<Sample>;

export const register: Load = (server, options = {}) => drive(server, { ...postJson(server.registration, BODY), ...options });

export const registerJanssen: Load = (server, options = {}) => drive(server, { ...postJson(server.registration, JANSSEN_BODY), ...options });

// A registration every sample hook applies to: both listed redirect URIs (add-scope,
// trusted-client) and a software_id (abuse-guard counts its clients), fresh on each request so the
// quota is never reached.
let softwareIds = 0;
const EVERY_HOOK = {
  ...JSON.parse(BODY),
  redirect_uris: ['https://partner.example.com/callback', 'https://casa.example.com/jans-casa'],
};
export const registerEveryHook: Load = (server, options = {}) =>
  drive(server, {
    ...postJson(server.registration, JSON.stringify(EVERY_HOOK)),
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ ...EVERY_HOOK, software_id: `bench-software-${(softwareIds += 1)}` }) }) }],
    ...options,
  });

export const read: Load = async (server, options = {}) => {
  const created = await httpRequest(server.registration, 'POST', { json: JSON.parse(BODY) });
  if (created.status !== 201) throw new Error(`registration failed ${created.status} ${created.text}`);
  return drive(server, { url: created.json.registration_client_uri, method: 'GET', headers: { authorization: `Bearer ${created.json.registration_access_token}` }, ...options });
};

export const LOADS: Record<string, Load> = { register, 'register-janssen': registerJanssen, 'register-every-hook': registerEveryHook, read };
