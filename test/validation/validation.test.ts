// core/validation: one JSON Schema validator, errors said as member paths, and JSON parse errors
// said with where they are (line and column), never with the text itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { describeErrors, describeJsonError, schemaValidator } from '../../core/validation/index.ts';

describe('validation', () => {
  it('names each failing member by its path, and unknown members by name (every error, when asked)', () => {
    const validate = schemaValidator(Type.Object({ a: Type.Integer({ minimum: 1 }), b: Type.Object({ c: Type.String() }) }, { additionalProperties: false }), { allErrors: true });
    assert.equal(validate({ a: 0, b: { c: 1 }, z: true }), false);
    const said = describeErrors(validate.errors, 'body', (name) => `unknown member "${name}"`);
    assert.ok(said.some((line) => /^a must be >= 1/.test(line)), said.join('; '));
    assert.ok(said.some((line) => /^b\.c must be string/.test(line)), said.join('; '));
    assert.ok(said.some((line) => /unknown member "z"/.test(line)), said.join('; '));
  });

  it('says where JSON is broken, by line and column, without repeating it', () => {
    const said = describeJsonError('{\n  "secret": "hunter2",,\n}');
    assert.match(said, /line 2/);
    assert.match(said, /column \d+/);
    assert.doesNotMatch(said, /hunter2/);
  });
});
