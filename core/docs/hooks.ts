// The hook table of docs/scripts.md, generated from the hook table (core/policy/hooks.ts).
import { declarationOf, HOOK_NAMES, REJECTION_CODES, type Combine } from '../policy/index.ts';

const COMBINES: Record<Combine, string> = {
  client: 'in priority order, each script sees the previous one\'s client; an object is merged, `true` keeps in-place changes',
  veto: 'any `false` refuses',
  list: 'in priority order, each list replaces the previous one',
  response: 'in priority order, each script sees the previous one\'s response',
  every: 'every script must answer `true`',
  first: 'the first non-empty answer wins; later scripts are not called',
  lifecycle: 'each version on its own',
};

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function hookTable(): string {
  const rows = HOOK_NAMES.map((name) => {
    const declared = declarationOf(name);
    const signature = [declared.input?.name, declared.context === 'none' ? undefined : 'context'].filter(Boolean).join(', ');
    const refusal = declared.refusal ? `\`false\`: ${declared.refusal.status} \`${declared.refusal.code}\`` : '';
    return `| \`${name}(${signature})\` | ${cell(declared.when)} | ${cell(declared.answers)} | ${cell(COMBINES[declared.combine])} | ${refusal} |`;
  });
  const codes = Object.entries(REJECTION_CODES).map(([code, status]) => `\`${code}\` (${status})`).join(', ');
  return [
    '| hook | when | answer | several scripts | refusal |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `Any hook may also throw \`new RegistrationError(code, description)\` with one of ${codes}; any other code fails closed.`,
  ].join('\n');
}
