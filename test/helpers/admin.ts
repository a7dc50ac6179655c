// A server with an administration client, and tokens from its token endpoint.
import { startScriptServer, type ScriptServer } from './scripts.ts';
import { httpRequest, type TestResponse } from './server.ts';

export const ADMIN_ID = 'config-api-client';
export const ADMIN_SECRET = 'config-api-secret-0123456789';

export async function startAdminServer(options: Parameters<typeof startScriptServer>[1] = {}, scripts: Parameters<typeof startScriptServer>[0] = {}): Promise<ScriptServer> {
  return startScriptServer(scripts, { ...options, env: { DCR_ADMIN_CLIENT_ID: ADMIN_ID, DCR_ADMIN_CLIENT_SECRET: ADMIN_SECRET, ...options.env } });
}

export function tokenRequest(url: string, form: Record<string, string>, basic: [string, string] | null = [ADMIN_ID, ADMIN_SECRET]): Promise<TestResponse> {
  return httpRequest(`${url}/jans-auth/restv1/token`, 'POST', {
    body: new URLSearchParams(form).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}` } : {}),
    },
  });
}

export async function adminToken(url: string, scope?: string): Promise<string> {
  const response = await tokenRequest(url, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${response.text}`);
  return response.json.access_token;
}
