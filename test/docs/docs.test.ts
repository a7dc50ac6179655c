// Generated documentation and types are current: `npm run docs` after changing a declaration.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GENERATED } from '../../core/docs/index.ts';

describe('generated files', () => {
  for (const file of GENERATED) {
    it(`${file.path} is generated from the declarations (run \`npm run docs\` after changing them)`, () => {
      const current = readFileSync(new URL(`../../${file.path}`, import.meta.url), 'utf8');
      assert.equal(current, file.render(current));
    });
  }
});
