// Scripts are type-checked against exactly the sandbox's globals (scripts/registrar.d.ts and the
// ECMAScript library): the shipped samples pass; Node.js globals are flagged.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { typeCheckScripts } from '../../core/cli/typeCheck.ts';
import { tempDir } from '../helpers/server.ts';

const SAMPLES = ['abuse-guard.js', 'add-scope.js', 'janssen-sample.js', 'open-banking.js', 'response-member.js', 'trusted-client.ts'];
const sample = (file: string) => new URL(`../../scripts/${file}`, import.meta.url).pathname;

describe('script types', () => {
  it('the shipped samples type-check against the sandbox', () => {
    assert.deepEqual(typeCheckScripts(SAMPLES.map(sample))?.problems, []);
  });

  it('flags globals the sandbox does not have, and knows the web globals it does', () => {
    const dir = tempDir();
    try {
      writeFileSync(
        join(dir, 'node-habits.js'),
        `export async function createClient(context) {
          const host = new URL(String(context.client.client_uri)).hostname;
          const encoded = btoa(host) + new TextDecoder().decode(new TextEncoder().encode(host));
          const copy = structuredClone({ host, query: new URLSearchParams('a=1').get('a') });
          await fetch('https://x.example');
          setTimeout(() => {}, 1);
          return process.env.ALLOWED === encoded + copy.host + require('node:os').hostname();
        }`,
      );
      writeFileSync(join(dir, 'typed.ts'), `export function modifyScopes(scopes: string[]): number { return scopes; }`);
      const problems = typeCheckScripts([join(dir, 'node-habits.js'), join(dir, 'typed.ts')])?.problems ?? [];
      const flagged = problems.filter((line) => line.includes('not available in the sandbox')).map((line) => /Cannot find (?:name|module) '([\w:]+)'/.exec(line)?.[1]);
      assert.deepEqual(flagged.sort(), ['fetch', 'node:os', 'process', 'setTimeout']);
      assert.ok(problems.some((line) => line.includes('typed.ts') && line.includes("'string[]' is not assignable to type 'number'")), problems.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
