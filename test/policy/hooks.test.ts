// core/policy: the hook table is a contract, so it is checked as one: every declaration complete
// and consistent with how its results combine, refusals that are RFC 7591 errors with their
// statuses, result schemas that take what the documentation promises and nothing else, and hook
// contexts that validate against their own schemas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOOK_NAMES, HOOKS, REJECTION_CODES, declarationOf, isRejectionCode, storedClientContext } from '../../core/policy/index.ts';
import { HookContextSchema } from '../../core/policy/context.ts';
import { schemaValidator } from '../../core/validation/index.ts';

const accepts = (hook: (typeof HOOK_NAMES)[number], value: unknown) => schemaValidator(declarationOf(hook).result)(value);

describe('the hook table', () => {
  it('declares every hook completely: when, context, result, combination; refusing hooks say what a refusal answers', () => {
    for (const name of HOOK_NAMES) {
      const hook = declarationOf(name);
      assert.ok(hook.when.length > 0 && hook.answers.length > 0, name);
      assert.ok(['client', 'veto', 'list', 'response', 'every', 'first', 'lifecycle'].includes(hook.combine), name);
      assert.doesNotThrow(() => schemaValidator(hook.result), name);
      // A hook whose answer can refuse names the error the refusal becomes; the others cannot refuse by answering.
      const refuses = hook.combine === 'client' || hook.combine === 'veto' || hook.combine === 'every';
      assert.equal(hook.refusal !== undefined, refuses, `${name}: a refusal exactly where the answer can refuse`);
      if (hook.refusal) assert.equal(REJECTION_CODES[hook.refusal.code], hook.refusal.status, `${name}: the refusal's status is its code's`);
      if (hook.combine === 'lifecycle') assert.equal(hook.context, 'none', name);
    }
  });

  it('lets scripts refuse only with RFC 7591 / RFC 6749 error codes, each with its status', () => {
    assert.deepEqual(REJECTION_CODES, {
      invalid_client_metadata: 400,
      invalid_redirect_uri: 400,
      invalid_software_statement: 400,
      unapproved_software_statement: 400,
      invalid_request: 400,
      access_denied: 403,
    });
    assert.equal(isRejectionCode('invalid_redirect_uri'), true);
    assert.equal(isRejectionCode('server_error'), false, 'a script cannot pass its failure off as the server');
    assert.equal(isRejectionCode('toString'), false, 'own members only');
  });

  it('takes the results the documentation promises, and nothing else', () => {
    for (const value of [true, false, null, { client_name: 'x' }]) assert.equal(accepts('createClient', value), true, JSON.stringify(value));
    for (const value of [1, 'yes', ['a']]) assert.equal(accepts('createClient', value), false, JSON.stringify(value));
    assert.equal(accepts('modifyScopes', ['openid', 'profile']), true);
    assert.equal(accepts('modifyScopes', ['has space']), false, 'a scope token has no space (RFC 6749 §3.3)');
    assert.equal(accepts('modifyScopes', ['quote"d']), false);
    assert.equal(accepts('modifyScopes', Array.from({ length: 1001 }, (_, i) => `s${i}`)), false, 'bounded');
    assert.equal(accepts('manageClaims', ['']), false);
    assert.equal(accepts('isCertValidForClient', null), false, 'only true accepts a certificate');
    assert.equal(accepts('deleteClient', {}), false);
    assert.equal(accepts('getDcrJwks', { keys: [] }), true);
    assert.equal(accepts('getDcrJwks', { kty: 'EC' }), false, 'a key set, not a key');
    assert.equal(accepts('getSoftwareStatementHmacSecret', 42), false);
    assert.equal(accepts('modifyPostResponse', { client_id: 'c' }), true);
    assert.equal(HOOKS.init.combine, 'lifecycle');
  });

  it('tells hooks about stored clients in the shape HookContext declares', () => {
    const context = storedClientContext('delete', 'req-1', 'client-1', { redirect_uris: ['https://a.example/cb'], client_name: 'A' });
    const valid = schemaValidator(HookContextSchema);
    assert.equal(valid(context), true, JSON.stringify(valid.errors));
    assert.deepEqual(context.client, context.stored, 'nothing new is proposed on a read or delete');
  });
});
