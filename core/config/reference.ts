// The README's configuration reference, generated from the declarations (properties.ts and the
// environment table) so the documentation cannot drift: `npm run docs` rewrites it, and
// test/config/reference.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { BUILTIN_PLUGINS } from '../../plugins/index.ts';
import { ScriptSettingsSchema } from '../sandbox/settings.ts';
import { describeProperties, ENVIRONMENT } from './index.ts';

const START = '<!-- configuration-reference:start -->';
const END = '<!-- configuration-reference:end -->';

const cell = (text: string) => text.replace(/\|/g, '\\|');

function schemaRows(schema: TSchema): string[] {
  return Object.entries(schema.properties as Record<string, TSchema>).map(
    ([name, field]) =>
      `| \`${name}\` | ${field.default === undefined ? '(required)' : `\`${cell(JSON.stringify(field.default))}\``} | ${cell(String(field.description))} |`,
  );
}

export function configurationReference(): string {
  const lines = [
    START,
    '### Environment',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    ...ENVIRONMENT.map((e) => `| \`${e.name}\` | \`${e.default}\` | ${cell(e.description)} |`),
    '',
    '### Server configuration properties',
    '',
    'Set in the `DCR_CONFIG` JSON file (Janssen property names). Unknown properties are refused at start.',
    '',
    '| property | type | default | meaning |',
    '|---|---|---|---|',
    ...describeProperties().map((p) => `| \`${p.name}\` | ${p.type} | \`${cell(JSON.stringify(p.default))}\` | ${cell(p.description)} |`),
    '',
    '### Script settings (`<script>.json`)',
    '',
    '| setting | default | meaning |',
    '|---|---|---|',
    ...schemaRows(ScriptSettingsSchema),
    '',
    '### Plugins',
    '',
    ...BUILTIN_PLUGINS.flatMap((plugin) => {
      const options = schemaRows(plugin.config);
      return [
        `**\`${plugin.name}\`**: ${plugin.description} Functions: ${Object.keys(plugin.functions).map((fn) => `\`host.${plugin.name}.${fn}\``).join(', ')}.`,
        '',
        ...(options.length ? ['| configuration | default | meaning |', '|---|---|---|', ...options, ''] : ['No configuration.', '']),
      ];
    }),
    END,
  ];
  return lines.join('\n');
}

export function withReference(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < 0) throw new Error(`README.md lacks the ${START} / ${END} markers`);
  return readme.slice(0, start) + configurationReference() + readme.slice(end + END.length);
}

if (import.meta.main) {
  const file = new URL('../../README.md', import.meta.url);
  writeFileSync(file, withReference(readFileSync(file, 'utf8')));
}
