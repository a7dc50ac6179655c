// The member-by-member mapping of docs/authorization-servers.md, generated from the connections'
// own declarations (core/authorization) and the client metadata fields.
import { HYDRA_MAPPING, KEYCLOAK_MAPPING } from '../authorization/index.ts';
import { PROVIDER_MEMBERS } from '../authorization/oidcProviderAdapter.ts';
import { FIELDS } from '../metadata/index.ts';

const code = (text: string) => (text.startsWith('(') ? text : `\`${text}\``);

function table(server: string, mapping: ReadonlyArray<[string, string]>): string {
  const mapped = new Set(mapping.map(([member]) => member.split(' ')[0]));
  const kept = [...FIELDS.keys()].filter((member) => !mapped.has(member));
  return [
    `### ${server}`,
    '',
    '| Registrar | at the server |',
    '|---|---|',
    ...mapping.map(([member, there]) => `| ${code(member)} | ${there.replace(/\|/g, '\\|')} |`),
    '',
    `Kept in Registrar only: ${kept.map((member) => `\`${member}\``).join(', ')}.`,
  ].join('\n');
}

export function serverMapping(): string {
  const kept = [...FIELDS.keys()].filter((member) => !PROVIDER_MEMBERS.includes(member));
  return [
    table('Ory Hydra', HYDRA_MAPPING),
    '',
    table('Keycloak', KEYCLOAK_MAPPING),
    '',
    '### node-oidc-provider',
    '',
    `The adapter hands the provider \`client_id\`, \`client_secret\` (opened with Registrar's key), \`client_id_issued_at\`, \`client_secret_expires_at\` and these members as stored: ${PROVIDER_MEMBERS.map((member) => `\`${member}\``).join(', ')} (the \`members\` option changes the list). A disabled or expired client is not found.`,
    '',
    `Kept in Registrar only: ${kept.map((member) => `\`${member}\``).join(', ')}.`,
  ].join('\n');
}
