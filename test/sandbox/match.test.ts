// Match conditions: a hook whose condition does not hold is not called, and the decision log and
// status say so; conditions follow the script's properties; unsafe or wrong declarations keep the
// version out with the reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileMatch } from '../../core/sandbox/match.ts';
import { scriptStatus, startScriptServer, type ScriptServer } from '../helpers/scripts.ts';
import { assertError, WEB_CLIENT } from '../helpers/server.ts';

// Refuses every registration it is asked about, so a 201 proves the hook was not called.
const GATE = `
export const match = { createClient: { properties: { client: { required: ['software_id'] } } } };
export function createClient(context) {
  throw new RegistrationError('invalid_client_metadata', 'gate saw ' + context.client.software_id);
}`;

// The condition is built from the properties: only listed redirect URIs reach the hook.
const LISTED = `
export const match = ({ redirectUris }) => ({
  modifyScopes: { properties: { client: { properties: { redirect_uris: { contains: { enum: redirectUris } } } } } },
});
export function modifyScopes(scopes) { return [...scopes, 'address']; }`;

describe('match conditions', () => {
  let server: ScriptServer;
  before(async () => {
    server = await startScriptServer();
  });
  after(() => server.close());

  it('a hook whose condition does not hold is not called; the decision log and status say so', async () => {
    await server.put('gate', GATE);
    try {
      const passed = await server.register({ ...WEB_CLIENT, client_name: 'no software id' });
      assert.equal(passed.status, 201, passed.text);
      assertError(await server.register({ ...WEB_CLIENT, software_id: 'sw-1' }), 400, 'invalid_client_metadata', /gate saw sw-1/);

      await server.registrar.flushDecisions();
      const [refused, created] = await server.registrar.store.decisions.list({ limit: 2 });
      assert.deepEqual(
        created!.scripts.map(({ script, hook, decision }) => ({ script, hook, decision })),
        [{ script: 'gate', hook: 'createClient', decision: 'not-matched' }],
      );
      assert.equal(refused!.scripts[0]!.decision, 'rejected:invalid_client_metadata');
      const stats = scriptStatus(server, 'gate').stats.createClient;
      assert.equal(stats.calls, 1);
      assert.equal(stats.notMatched, 1);
    } finally {
      await server.drop('gate');
    }
  });

  it('a condition built from the properties follows a settings change without touching the code', async () => {
    await server.put('listed', LISTED, { properties: { redirectUris: ['https://listed.example/cb'] } });
    try {
      const scopesOf = async (uri: string) => (await server.register({ ...WEB_CLIENT, redirect_uris: [uri], scope: 'openid' })).json.scope.split(' ');
      assert.ok((await scopesOf('https://listed.example/cb')).includes('address'));
      assert.ok(!(await scopesOf('https://other.example/cb')).includes('address'));

      await server.put('listed', LISTED, { properties: { redirectUris: ['https://other.example/cb'] } });
      assert.ok(!(await scopesOf('https://listed.example/cb')).includes('address'));
      assert.ok((await scopesOf('https://other.example/cb')).includes('address'));
    } finally {
      await server.drop('listed');
    }
  });

  it('an unsafe or wrong declaration keeps the version out with the reason; the last good one keeps serving', async () => {
    await server.put('gate', GATE);
    try {
      const refusedWith = async (code: string, reason: RegExp) => {
        await server.put('gate', code);
        const status = scriptStatus(server, 'gate');
        assert.equal(status.state, 'active');
        assert.equal(status.lastError.code, 'compile_error');
        assert.match(status.lastError.message, reason);
        assertError(await server.register({ ...WEB_CLIENT, software_id: 'sw-2' }), 400, 'invalid_client_metadata', /gate saw/);
      };
      await refusedWith(GATE.replace(`required: ['software_id']`, `patternProperties: { '(a+)+b': {} }`), /"patternProperties" is not supported/);
      await refusedWith(GATE.replace(`{ required: ['software_id'] }`, `{ properties: { software_id: { pattern: '(a|a)*b' } } }`), /"pattern" is not supported/);
      await refusedWith(GATE.replace('createClient: {', 'modifyScopes: {'), /does not export modifyScopes/);
      await refusedWith(GATE.replace('export const match = {', 'export const match = () => { throw new Error("no conditions today"); }; const unused = {'), /no conditions today/);
      await refusedWith(GATE.replace('export const match = {', 'export const match = async () => ({}); const unused = {'), /not a promise/);
    } finally {
      await server.drop('gate');
    }
  });
});

describe('compileMatch', () => {
  const exported = new Set(['createClient', 'modifyScopes', 'isCertValidForClient']);

  it('checks contexts with the declared JSON Schema, without changing them', () => {
    const conditions = compileMatch(
      {
        createClient: { properties: { client: { properties: { application_type: { const: 'native' } }, required: ['application_type'] } } },
        modifyScopes: { properties: { client: { properties: { redirect_uris: { contains: { enum: ['https://a.example/cb'] }, minItems: 1 } } } } },
      },
      exported,
    )!;
    const context = { client: { application_type: 'native', redirect_uris: ['https://b.example/cb'] } };
    const before = JSON.stringify(context);
    assert.equal(conditions.get('createClient')!(context), true);
    assert.equal(conditions.get('modifyScopes')!(context), false);
    assert.equal(conditions.get('modifyScopes')!({ client: { redirect_uris: ['https://b.example/cb', 'https://a.example/cb'] } }), true);
    assert.equal(JSON.stringify(context), before);
    assert.equal(conditions.has('isCertValidForClient'), false);
  });

  it('no declaration means every call is made', () => {
    assert.equal(compileMatch(undefined, exported), undefined);
  });

  it('refuses keywords outside the safe subset, hooks it cannot guard, and oversized declarations', () => {
    assert.throws(() => compileMatch({ createClient: { $ref: '#/definitions/x' } }, exported), /"\$ref" is not supported/);
    assert.throws(() => compileMatch({ createClient: { properties: { client: { format: 'uri' } } } }, exported), /"format" is not supported/);
    assert.throws(() => compileMatch({ init: {} }, new Set(['init'])), /not a hook a condition can guard/);
    assert.throws(() => compileMatch({ createClient: { enum: Array.from({ length: 20_000 }, (_, i) => `https://host${i}.example/callback`) } }, exported), /larger than/);
  });
});
