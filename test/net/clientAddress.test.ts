// The client address behind trusted proxies: one rule for rate limits, the token endpoint and
// certificates. X-Forwarded-For is walked from the right; what the client wrote on the left is
// never believed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer, WEB_CLIENT } from '../helpers/server.ts';

describe('client address behind trusted proxies', () => {
  it('rate limits by the first untrusted address counted from the right, whatever the client put on the left', async () => {
    for (const properties of [{ trustedProxies: ['127.0.0.0/8'] }, { mtlsTrustedProxies: ['127.0.0.0/8'] }]) {
      const server = await startServer({ properties: { ...properties, rateLimitRegistrationRequestCount: 3, rateLimitRegistrationPeriodInSeconds: 60 } });
      try {
        const statuses = [];
        for (let n = 0; n < 8; n += 1) {
          const response = await server.request('POST', '/register', { json: WEB_CLIENT, headers: { 'x-forwarded-for': `10.9.9.${n}, 198.51.100.7` } });
          statuses.push(response.status);
        }
        assert.deepEqual(statuses, [201, 201, 201, 429, 429, 429, 429, 429], JSON.stringify(properties));
        // Another client behind the same proxy has its own count; garbage is no key of its own.
        assert.equal((await server.request('POST', '/register', { json: WEB_CLIENT, headers: { 'x-forwarded-for': '198.51.100.8' } })).status, 201);
        const garbage = await Promise.all([1, 2, 3, 4].map((n) => server.request('POST', '/register', { json: WEB_CLIENT, headers: { 'x-forwarded-for': `not-an-address-${n}` } })));
        assert.deepEqual(garbage.map((r) => r.status), [201, 201, 201, 429], 'garbage counts as the proxy itself');
      } finally {
        await server.close();
      }
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const server = await startServer({ properties: { trustedProxies: ['10.0.0.0/8'], rateLimitRegistrationRequestCount: 2, rateLimitRegistrationPeriodInSeconds: 60 } });
    try {
      const statuses = [];
      for (let n = 0; n < 3; n += 1) statuses.push((await server.request('POST', '/register', { json: WEB_CLIENT, headers: { 'x-forwarded-for': `198.51.100.${n}` } })).status);
      assert.deepEqual(statuses, [201, 201, 429]);
    } finally {
      await server.close();
    }
  });
});
