// GET /openapi.json: every endpoint, with request and response bodies described by the same
// schemas the validators use (client metadata, the administration Client, the configuration).
import { ServerProperties, VERSION } from '../config/index.ts';
import { ClientMetadataSchema } from '../metadata/index.ts';
import { AdminClientSchema } from './clientShape.ts';
import { InitialAccessTokenRequestSchema } from './initialAccessTokens.ts';
import { ReplayRequestSchema } from './replay.ts';
import { SCOPES } from './scopes.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(ref('Error')) });
const errors = {
  '400': error('RFC error: invalid_request, invalid_client_metadata, invalid_redirect_uri, ...'),
  '500': error('server_error with the request id'),
  '502': error('server_error: the connected authorization server refused the change (nothing was changed)'),
  '503': error('temporarily_unavailable, with Retry-After: the store or the authorization server cannot be reached (nothing was changed)'),
};
const adminErrors = { '401': error('missing, invalid or expired token'), '403': error('insufficient_scope'), ...errors };
const bearer = (scope: string) => [{ adminToken: [scope] }];
const registrationToken = [{ registrationAccessToken: [] }];
const clientIdParameter = { name: 'client_id', in: 'path', required: true, schema: { type: 'string' } };
const inumParameter = { name: 'inum', in: 'path', required: true, schema: { type: 'string' } };

export function openApiDocument(issuer: string): Record<string, unknown> {
  const { $id: _client, ...client } = AdminClientSchema as typeof AdminClientSchema & { $id?: string };
  return {
    openapi: '3.1.0',
    info: { title: 'Registrar', version: VERSION, description: 'OAuth 2.0 / OpenID Connect Dynamic Client Registration (RFC 7591, RFC 7592, OIDC DCR 1.0) with policy scripts.' },
    servers: [{ url: issuer }],
    paths: {
      '/.well-known/openid-configuration': { get: { summary: 'Discovery', responses: { '200': { description: 'issuer, registration_endpoint and *_supported lists', ...json({ type: 'object' }) } } } },
      '/register': {
        post: {
          summary: 'Register a client (RFC 7591); also at /jans-auth/restv1/register',
          requestBody: { content: { 'application/json': { schema: ref('ClientMetadata') }, 'application/jwt': { schema: { type: 'string', description: 'signed registration request' } } } },
          responses: { '201': { description: 'client information', ...json(ref('ClientInformation')) }, '401': error('invalid_token: initial access token missing (when required), invalid, expired or used up'), '403': error('registration disabled, or a limit reached (limit, max)'), '413': error('body too large'), '429': error('rate limited'), ...errors },
        },
      },
      '/register/{client_id}': {
        parameters: [clientIdParameter],
        get: { summary: 'Read a registration (RFC 7592)', security: registrationToken, responses: { '200': json(ref('ClientInformation')), '401': error('invalid_token') } },
        put: { summary: 'Update a registration (RFC 7592)', security: registrationToken, requestBody: json(ref('ClientMetadata')), responses: { '200': json(ref('ClientInformation')), '401': error('invalid_token'), '409': error('concurrent update'), ...errors } },
        delete: { summary: 'Delete a registration (RFC 7592)', security: registrationToken, responses: { '204': { description: 'deleted' }, '401': error('invalid_token'), '403': error('access_denied by policy') } },
      },
      '/jans-auth/restv1/token': {
        post: {
          summary: 'Administration access token (client_credentials); also at /token',
          requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { grant_type: { const: 'client_credentials' }, scope: { type: 'string' } } } } } },
          responses: { '200': json({ type: 'object', properties: { access_token: { type: 'string' }, token_type: { const: 'Bearer' }, expires_in: { type: 'integer' }, scope: { type: 'string' } } }), '401': error('invalid_client'), ...errors },
        },
      },
      '/jans-config-api/api/v1/jans-auth-server/config': {
        get: { summary: 'The configuration in force; also at /admin/config', security: bearer(SCOPES.configRead), responses: { '200': json(ref('Configuration')), ...adminErrors } },
        patch: {
          summary: 'Change the configuration with an RFC 6902 JSON Patch; with ?wait=N, answer once every process has the change (header Registrar-Propagation: have/all) or after N seconds',
          security: bearer(SCOPES.configWrite),
          parameters: [{ name: 'wait', in: 'query', schema: { type: 'number', minimum: 0, maximum: 60 } }],
          requestBody: { content: { 'application/json-patch+json': { schema: { type: 'array', items: { type: 'object', required: ['op', 'path'] } } } } },
          responses: { '200': json(ref('Configuration')), '409': error('concurrent change'), ...adminErrors },
        },
      },
      '/jans-config-api/api/v1/openid/clients': {
        get: {
          summary: 'List clients (paged); also at /admin/clients',
          security: bearer(SCOPES.clientsRead),
          parameters: ['limit', 'startIndex', 'pattern', 'software_id', 'organisation', 'status', 'initial_access_token'].map((name) => ({ name, in: 'query', schema: { type: name === 'limit' || name === 'startIndex' ? 'integer' : 'string' } })),
          responses: { '200': json({ type: 'object', properties: { start: { type: 'integer' }, totalEntriesCount: { type: 'integer' }, entriesCount: { type: 'integer' }, entries: { type: 'array', items: ref('Client') } } }), ...adminErrors },
        },
      },
      '/jans-config-api/api/v1/openid/clients/{inum}': {
        parameters: [inumParameter],
        get: { summary: 'Get a client', security: bearer(SCOPES.clientsRead), responses: { '200': json(ref('Client')), '404': error('not_found'), ...adminErrors } },
        delete: { summary: 'Delete a client', security: bearer(SCOPES.clientsWrite), responses: { '204': { description: 'deleted' }, '404': error('not_found'), ...adminErrors } },
      },
      ...Object.fromEntries(
        [
          ['disable', 'Disable a client (its registration access token stops working)'],
          ['enable', 'Enable a disabled client'],
          ['secret', 'Rotate the client secret (the new one is in the answer)'],
          ['registration-access-token', 'Rotate the registration access token (the new one is in the answer)'],
          ['approve', 'Approve a pending registration (client_status active; created at the authorization server)'],
          ['reject', 'Reject a pending registration (the client is deleted; 204)'],
        ].map(([action, summary]) => [
          `/jans-config-api/api/v1/openid/clients/{inum}/${action}`,
          { parameters: [inumParameter], post: { summary, security: bearer(SCOPES.clientsWrite), responses: { '200': json({ type: 'object' }), '404': error('not_found'), ...adminErrors } } },
        ]),
      ),
      '/admin/initial-access-tokens': {
        get: { summary: 'Initial access tokens (RFC 7591 §3), without their values, with the registrations each has made', security: bearer(SCOPES.clientsRead), responses: { '200': json({ type: 'object' }), ...adminErrors } },
        post: {
          summary: 'Issue an initial access token; its value is in this answer only',
          security: bearer(SCOPES.clientsWrite),
          requestBody: json(InitialAccessTokenRequestSchema),
          responses: { '201': json({ type: 'object' }), ...adminErrors },
        },
      },
      '/admin/initial-access-tokens/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        delete: { summary: 'Revoke an initial access token', security: bearer(SCOPES.clientsWrite), responses: { '204': { description: 'revoked' }, '404': error('not_found'), ...adminErrors } },
      },
      '/admin/authorization-server': {
        get: { summary: 'The connected authorization server: type, reachability, metadata age, the reconciler\'s last run', security: bearer(SCOPES.clientsRead), responses: { '200': json({ type: 'object' }), ...adminErrors } },
      },
      '/admin/authorization-server/sync': {
        post: { summary: 'Run the reconciler now; answers its report (created, updated, deleted, failed)', security: bearer(SCOPES.clientsWrite), responses: { '200': json({ type: 'object' }), ...adminErrors } },
      },
      '/admin/scripts': { get: { summary: 'Script status', security: bearer(SCOPES.scriptsRead), responses: { '200': json({ type: 'object' }), ...adminErrors } } },
      '/admin/scripts/{name}/dry-run': {
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        post: { summary: "Run one script's hooks against a registration request; nothing is stored", security: bearer(SCOPES.scriptsWrite), requestBody: json(ref('ClientMetadata')), responses: { '200': json({ type: 'object' }), '404': error('not_found'), ...adminErrors } },
      },
      '/admin/decisions': {
        get: {
          summary: 'The decision log, newest first (filters: client_id, request_id, operation, outcome, script, version, since, until; limit; cursor)',
          security: bearer(SCOPES.scriptsRead),
          parameters: ['client_id', 'request_id', 'operation', 'outcome', 'script', 'version', 'since', 'until', 'limit', 'cursor'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
          responses: { '200': json({ type: 'object', properties: { decisions: { type: 'array', items: { type: 'object' } }, next: { type: ['string', 'null'] } } }), ...adminErrors },
        },
      },
      '/admin/fleet': {
        get: {
          summary: 'Every server process sharing the store (each worker, each instance): version, configuration revision, scripts in force, authorization server; whether they agree; those that stopped reporting',
          security: bearer(SCOPES.scriptsRead),
          responses: { '200': json({ type: 'object', properties: { processes: { type: 'array', items: { type: 'object' } }, stale: { type: 'array', items: { type: 'object' } }, agree: { type: 'object' } } }), ...adminErrors },
        },
      },
      '/admin/scripts/{name}/replay': {
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        post: { summary: 'Replay a candidate version against recorded registrations; nothing is stored', security: bearer(SCOPES.scriptsWrite), requestBody: json(ReplayRequestSchema), responses: { '200': json({ type: 'object' }), ...adminErrors } },
      },
      '/admin/console': { get: { summary: 'The administration console (HTML)', responses: { '200': { description: 'text/html' } } } },
      '/schema/client': { get: { summary: 'JSON Schema of the Client', responses: { '200': json({ type: 'object' }) } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': json({ type: 'object' }) } } },
      '/health/live': { get: { summary: 'Liveness', responses: { '200': json({ type: 'object' }) } } },
      '/health/ready': { get: { summary: 'Readiness: the store takes writes, scripts loaded with none left without a version in force, authorization server (when connected) answering', responses: { '200': json({ type: 'object' }), '503': json({ type: 'object' }) } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
    components: {
      securitySchemes: {
        adminToken: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${issuer}/jans-auth/restv1/token`, scopes: Object.fromEntries(Object.values(SCOPES).map((scope) => [scope, scope])) } } },
        registrationAccessToken: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        ClientMetadata: ClientMetadataSchema,
        ClientInformation: {
          allOf: [
            ref('ClientMetadata'),
            { type: 'object', properties: { client_id: { type: 'string' }, client_secret: { type: 'string' }, client_id_issued_at: { type: 'integer' }, client_secret_expires_at: { type: 'integer' }, registration_access_token: { type: 'string' }, registration_client_uri: { type: 'string' } }, required: ['client_id', 'registration_client_uri'] },
          ],
        },
        Client: client,
        Configuration: ServerProperties,
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } },
      },
    },
  };
}
