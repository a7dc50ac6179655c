// A user signing in at a real authorization server, as a browser would: cookies kept, redirects
// followed one at a time, forms filled in. Each driver takes the authorization URL a client
// library built and answers the redirect to the client (its code, state and iss), without
// following it: the library checks that URL itself.
import assert from 'node:assert/strict';
import { httpRequest } from './server.ts';

/** Answers the URL the authorization server finally sends the browser to at `redirectUri`. */
export type SignIn = (authorizationUrl: string, redirectUri: string) => Promise<URL>;

class Browser {
  readonly #cookies = new Map<string, string>();

  async go(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      this.#cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  }

  /** Follows redirects from `url` until one leads where `stop` says (returned) or a page answers (returned as the response). */
  async follow(url: string | URL, stop: (next: URL) => boolean, init: RequestInit = {}): Promise<URL | Response> {
    let response = await this.go(url, init);
    let at = new URL(url);
    for (let hops = 0; hops < 20; hops++) {
      if (![301, 302, 303, 307].includes(response.status)) return response;
      const next = new URL(response.headers.get('location') ?? assert.fail(`${at.href}: a redirect without Location`), at);
      if (stop(next)) return next;
      at = next;
      response = await this.go(next);
    }
    return assert.fail(`too many redirects from ${url}`);
  }
}

/** Stops at the client's redirect URI. */
const atClient = (redirectUri: string) => (next: URL) => `${next.origin}${next.pathname}` === redirectUri;

const page = async (reached: URL | Response, what: string) => {
  if (reached instanceof URL) return assert.fail(`${what}: sent to the client without signing in (${reached.href})`);
  const html = await reached.text();
  assert.equal(reached.status, 200, `${what}: ${reached.status} ${html.slice(0, 300)}`);
  return html;
};

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** Ory Hydra has no login page of its own: the login and consent requests are accepted through its admin API (granting what was asked). */
export const signInAtHydra = (adminUrl: string, subject = 'user-1'): SignIn => async (authorizationUrl, redirectUri) => {
  const browser = new Browser();
  const accept = async (kind: 'login' | 'consent', challenge: string, body: Record<string, unknown>) => {
    const answer = await httpRequest(`${adminUrl}/admin/oauth2/auth/requests/${kind}/accept?${kind}_challenge=${encodeURIComponent(challenge)}`, 'PUT', { json: body });
    assert.equal(answer.status, 200, answer.text);
    return answer.json.redirect_to as string;
  };
  // Hydra sends the browser to the login and consent applications it was configured with (they accept the challenges).
  const challenged = (next: URL) => atClient(redirectUri)(next) || next.searchParams.has('login_challenge') || next.searchParams.has('consent_challenge');
  const arrived = async (reached: URL | Response) => (reached instanceof URL ? reached : assert.fail(`Hydra answered ${reached.status}: ${(await reached.text()).slice(0, 300)}`));
  const login = await arrived(await browser.follow(authorizationUrl, challenged));
  const loginChallenge = login.searchParams.get('login_challenge') ?? assert.fail(`no login challenge: ${login.href}`);
  const consent = await arrived(await browser.follow(await accept('login', loginChallenge, { subject }), challenged));
  if (atClient(redirectUri)(consent)) return consent;
  const consentChallenge = consent.searchParams.get('consent_challenge') ?? assert.fail(`no consent challenge: ${consent.href}`);
  const asked = await httpRequest(`${adminUrl}/admin/oauth2/auth/requests/consent?consent_challenge=${encodeURIComponent(consentChallenge)}`, 'GET');
  return arrived(await browser.follow(await accept('consent', consentChallenge, { grant_scope: asked.json.requested_scope, grant_access_token_audience: asked.json.requested_access_token_audience }), atClient(redirectUri)));
};

/** Keycloak's login form, filled in with a user of the realm. */
export const signInAtKeycloak = (user: { username: string; password: string }): SignIn => async (authorizationUrl, redirectUri) => {
  const browser = new Browser();
  const html = await page(await browser.follow(authorizationUrl, atClient(redirectUri)), 'Keycloak login page');
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1] ?? assert.fail('no login form');
  const back = await browser.follow(action.replace(/&amp;/g, '&'), atClient(redirectUri), form({ username: user.username, password: user.password, credentialId: '' }));
  return back instanceof URL ? back : assert.fail(`Keycloak did not send the user back: ${back.status} ${(await back.text()).slice(0, 300)}`);
};

/** node-oidc-provider's development interactions: a login form (any name signs in), then a consent form. */
export const signInAtProvider = (login = 'user-1'): SignIn => async (authorizationUrl, redirectUri) => {
  const browser = new Browser();
  let reached = await browser.follow(authorizationUrl, atClient(redirectUri));
  for (let step = 0; step < 3 && !(reached instanceof URL); step++) {
    const html = await page(reached, 'provider interaction');
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? assert.fail(`no form: ${html.slice(0, 300)}`);
    const fields = Object.fromEntries([...html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map(([, name, value]) => [name!, value!]));
    const target = new URL(action, authorizationUrl);
    reached = await browser.follow(target, atClient(redirectUri), form(/name="login"/.test(html) ? { ...fields, login, password: 'any' } : fields));
  }
  return reached instanceof URL ? reached : assert.fail('the provider did not send the user back');
};
