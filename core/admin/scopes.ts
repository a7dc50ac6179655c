// The administration API's scopes, named as Janssen's config-api names them. A `.write` scope
// also grants what its `.readonly` twin does.
export const SCOPES = {
  configRead: 'https://jans.io/oauth/jans-auth-server/config/properties.readonly',
  configWrite: 'https://jans.io/oauth/jans-auth-server/config/properties.write',
  clientsRead: 'https://jans.io/oauth/config/openid/clients.readonly',
  clientsWrite: 'https://jans.io/oauth/config/openid/clients.write',
  scriptsRead: 'https://jans.io/oauth/config/scripts.readonly',
  scriptsWrite: 'https://jans.io/oauth/config/scripts.write',
} as const;

export const ALL_SCOPES: string[] = Object.values(SCOPES);

/** Whether `granted` satisfies `needed` (a .write scope covers its .readonly twin). */
export function hasScope(granted: readonly string[], needed: string): boolean {
  return granted.includes(needed) || (needed.endsWith('.readonly') && granted.includes(needed.replace(/\.readonly$/, '.write')));
}
