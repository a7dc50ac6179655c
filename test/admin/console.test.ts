// The administration console in a real headless Chromium (Debian's package, driven by
// playwright-core): sign in, see a script's error after a broken save, replay a candidate and
// read the diff, approve a registration, patch a property and see it in the audit trail.
// Screenshots of each page go to test-output/console/ (not committed) for a reviewer.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_ID, ADMIN_SECRET, startAdminServer } from '../helpers/admin.ts';
import type { ScriptServer } from '../helpers/scripts.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = new URL('../../test-output/console/', import.meta.url).pathname;
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`CI: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const GATE = `export function createClient(context) {
  if (context.client.software_id === 'blocked') throw new RegistrationError('invalid_client_metadata', 'blocked software');
  return true;
}`;

describe('the console in Chromium', { skip: !available && `no Chromium at ${CHROMIUM}` }, () => {
  let server: ScriptServer;
  let browser: Browser;
  let page: Page;
  const text = async (selector: string) => (await page.textContent(selector)) ?? '';
  // Polled from here: the page's Content-Security-Policy forbids evaluating strings in it, rightly.
  const eventually = async (check: () => Promise<boolean>) => {
    for (const until = Date.now() + 10_000; !(await check()); ) {
      if (Date.now() > until) assert.fail('the page did not get there in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const rows = (selector: string) => page.locator(`${selector} tr`).count();
  const shot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startAdminServer({}, { gate: GATE });
    for (const softwareId of ['a', 'blocked', 'b']) await server.register({ redirect_uris: ['https://client.example.org/cb'], software_id: softwareId });
    await server.registrar.flushDecisions();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${server.url}/admin/console`);
    await shot('1-sign-in');
    assert.deepEqual(problems, [], 'the page loads without errors under its Content-Security-Policy');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a wrong secret is refused; the right one signs in and lists the scripts', async () => {
    await page.fill('input[name=clientId]', ADMIN_ID);
    await page.fill('input[name=clientSecret]', 'wrong');
    await page.click('#sign-in-form button');
    await page.waitForSelector('#status.failed');
    await page.fill('input[name=clientId]', ADMIN_ID);
    await page.fill('input[name=clientSecret]', ADMIN_SECRET);
    await page.click('#sign-in-form button');
    await page.waitForSelector('#scripts-rows tr');
    assert.match(await text('#scripts-rows'), /gate\s*active\s*enforce/);
    await shot('2-scripts');
  });

  test('a broken save shows its error while the last good version serves', async () => {
    await server.put('gate', 'export function createClient( {');
    await page.click('button[data-refresh=scripts]');
    await eventually(async () => (await text('#scripts-rows')).includes('compile_error'));
    assert.match(await text('#scripts-rows'), /compile_error/);
    await shot('3-script-error');
    await server.put('gate', GATE);
  });

  test('the decision browser filters by outcome', async () => {
    await page.click('button[data-tab=decisions]');
    await page.fill('#decision-filters input[name=outcome]', 'invalid_client_metadata');
    await page.click('#decision-filters button');
    await eventually(async () => (await rows('#decision-rows')) === 1);
    assert.match(await text('#decision-rows'), /gate\.createClient: rejected:invalid_client_metadata/);
    await shot('4-decisions');
  });

  test('a pasted candidate is replayed and its diff read', async () => {
    await page.click('button[data-tab=replay]');
    await page.fill('#replay-form input[name=name]', 'gate');
    await page.fill('#replay-form textarea[name=source]', `export function createClient(context) { context.client.client_name = 'renamed by the candidate'; return true; }`);
    await page.click('#replay-form button');
    await eventually(async () => (await text('#replay-summary')).includes('would change'));
    assert.equal(await text('#replay-summary'), '3 of 3 recorded registrations would change');
    const diff = await text('#replay-rows');
    assert.match(diff, /client_name.*renamed by the candidate/);
    assert.match(diff, /outcome.*invalid_client_metadata: blocked software.*accepted/);
    await shot('5-replay');
  });

  test('a pending registration is approved', async () => {
    server.registrar.config.replace({ registrationApprovalRequired: true });
    const pending = (await server.register({ grant_types: ['client_credentials'], response_types: [], client_name: 'waiting' })).json;
    await page.click('button[data-tab=clients]');
    await page.waitForSelector('#client-rows tr');
    assert.match(await text('#client-rows'), /waiting/);
    await shot('6-approvals');
    await page.click('#client-rows button:text("Approve")');
    await eventually(async () => (await rows('#client-rows')) === 0);
    assert.equal((await server.request('GET', `/register/${pending.client_id}`, { token: pending.registration_access_token })).json.client_status, 'active');
    server.registrar.config.replace({});
  });

  test('a JSON Patch changes a property and shows in the audit trail', async () => {
    await page.click('button[data-tab=config]');
    await page.waitForSelector('#config-json:not(:empty)');
    await page.fill('#patch-form textarea', '[{"op": "replace", "path": "/dynamicRegistrationExpirationTime", "value": 600}]');
    await page.click('#patch-form button');
    await eventually(async () => (await text('#audit-rows')).includes('dynamicRegistrationExpirationTime'));
    assert.match(await text('#audit-rows'), /config-api-client\s*dynamicRegistrationExpirationTime\s*-1\s*600/);
    assert.equal(server.registrar.config.current.dynamicRegistrationExpirationTime, 600);
    await shot('7-configuration');
  });

  test('the fleet tab shows the processes sharing the store and whether they agree', async () => {
    await page.click('button[data-tab=fleet]');
    await page.waitForSelector('#fleet-rows tr');
    assert.match(await text('#fleet-agree'), /^1 process, in agreement$/);
    assert.match(await text('#fleet-rows'), new RegExp(`${process.pid}\\s*process`));
    await shot('8-fleet');
  });
});
