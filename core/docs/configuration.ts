// docs/configuration.md, generated from the declarations: the environment table, the server
// configuration properties (core/config/properties.ts), script settings and the plugins.
import type { TSchema } from '@sinclair/typebox';
import { describeProperties, ENVIRONMENT } from '../config/index.ts';
import type { Plugin } from '../plugin/index.ts';
import { ScriptSettingsSchema } from '../sandbox/index.ts';
import { signatureOf } from './typescript.ts';

const cell = (text: string) => text.replace(/\|/g, '\\|');

function schemaRows(schema: TSchema): string[] {
  const required = new Set<string>((schema.required as string[] | undefined) ?? []);
  const defaultOf = (name: string, field: TSchema) =>
    field.default !== undefined ? `\`${cell(JSON.stringify(field.default))}\`` : required.has(name) ? '(required)' : '(none)';
  return Object.entries(schema.properties as Record<string, TSchema>).map(
    ([name, field]) => `| \`${name}\` | ${defaultOf(name, field)} | ${cell(String(field.description))} |`,
  );
}

export function configurationReference(plugins: ReadonlyArray<Plugin>): string {
  const lines = [
    '# Configuration reference',
    '',
    "The process is configured by environment variables; the server's behaviour by configuration properties with Janssen's",
    'names, in the JSON file named by `DCR_CONFIG` (and changed at run time through the config API, see',
    '[administration.md](administration.md)), for example:',
    '',
    '```json',
    '{',
    '  "dynamicRegistrationExpirationTime": 86400,',
    '  "dynamicRegistrationCustomAttributes": ["org_id"],',
    '  "tokenEndpointAuthMethodsSupported": ["private_key_jwt", "tls_client_auth"]',
    '}',
    '```',
    '',
    'This page is generated from the declarations by `npm run docs`; a test fails when it is stale.',
    '',
    '## Environment',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    ...ENVIRONMENT.map((e) => `| \`${e.name}\` | \`${e.default}\` | ${cell(e.description)} |`),
    '',
    '## Server configuration properties',
    '',
    'Set in the `DCR_CONFIG` JSON file (Janssen property names). Unknown properties are refused at start. 🔒: a change to it can open the server up, and is logged at warn level (every change is kept in the audit trail, see administration.md).',
    '',
    '| property | type | default | meaning |',
    '|---|---|---|---|',
    ...describeProperties().map((p) => `| \`${p.name}\`${p.security ? ' 🔒' : ''} | ${p.type} | \`${cell(JSON.stringify(p.default))}\` | ${cell(p.description)} |`),
    '',
    '## Script settings (`<script>.json`)',
    '',
    '| setting | default | meaning |',
    '|---|---|---|',
    ...schemaRows(ScriptSettingsSchema),
    '',
    '## Plugins',
    '',
    ...plugins.flatMap((plugin) => {
      const options = schemaRows(plugin.config);
      return [
        `**\`${plugin.name}\`**: ${plugin.description}`,
        '',
        '| function | meaning |',
        '|---|---|',
        ...Object.entries(plugin.functions).map(([fn, declared]) => `| \`host.${plugin.name}.${fn}${cell(signatureOf(declared).replace(/ => Promise<.*$/, ''))}\` | ${cell(declared.description)} |`),
        '',
        ...(options.length ? ['| configuration | default | meaning |', '|---|---|---|', ...options, ''] : ['No configuration.', '']),
      ];
    }),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
