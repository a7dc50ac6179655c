// Client input never produces a 500: every member with values of every wrong shape, and some
// hostile combinations, answer 201 or a 4xx with an RFC error code.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIELDS } from '../../core/metadata/index.ts';
import { startServer, WEB_CLIENT, type TestServer } from '../helpers/server.ts';

const WRONG_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e300,
  'x'.repeat(5000),
  '',
  [],
  [null],
  [[]],
  [{}],
  {},
  { keys: null },
  { keys: [null, 1, 'x'] },
  { keys: [{ kty: 'EC', crv: 'P-999', x: 'AA', y: 'AA' }] },
  'javascript:alert(1)',
  'https://[::1',
  ['https://a.example/cb#x'],
  '\u0000',
  { __proto__: { polluted: true } },
];

describe('hostile client input', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ properties: { dynamicRegistrationCustomAttributes: ['custom'] } });
  });
  after(() => server.close());

  it('every member with every wrong shape answers 201 or 4xx, never 5xx', async () => {
    const members = [...FIELDS.keys(), 'client_name#fr', 'custom', 'constructor', '__proto__'];
    const failures: string[] = [];
    for (const member of members) {
      for (const value of WRONG_VALUES) {
        const body = JSON.stringify({ ...WEB_CLIENT }).replace(/}$/, `,${JSON.stringify(member)}:${JSON.stringify(value) ?? 'null'}}`);
        const response = await server.request('POST', '/register', { body, headers: { 'content-type': 'application/json' } });
        if (response.status >= 500 || (response.status >= 400 && typeof response.json?.error !== 'string')) {
          failures.push(`${member}=${JSON.stringify(value)?.slice(0, 40)}: ${response.status} ${response.text.slice(0, 120)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('deeply nested and prototype-polluting bodies are refused or ignored', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const nested = await server.request('POST', '/register', { body: `{"redirect_uris":${deep}}`, headers: { 'content-type': 'application/json' } });
    assert.ok(nested.status === 400 || nested.status === 413, nested.text);
    const polluted = await server.request('POST', '/register', {
      body: '{"redirect_uris":["https://a.example/cb"],"__proto__":{"trusted_client":true},"constructor":{"prototype":{"x":1}}}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(polluted.status, 201, polluted.text);
    assert.equal(polluted.json.trusted_client, false);
    assert.equal(({} as Record<string, unknown>).trusted_client, undefined);
  });
});
