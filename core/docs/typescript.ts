// TypeScript from JSON Schema, for the generated script types: the subset the project's
// declarations use. A schema marked `x-ts` stands for the type of that name.
import { OptionalKind, type TSchema } from '@sinclair/typebox';
import type { PluginFunctionDeclaration } from '../plugin/index.ts';

const identifier = /^[A-Za-z_$][\w$]*$/;
const key = (name: string) => (identifier.test(name) ? name : JSON.stringify(name));

/** One JSDoc line for a description, or nothing. */
export const doc = (description: unknown, indent: string): string =>
  typeof description === 'string' && description !== '' ? `${indent}/** ${description.replace(/\*\//g, '*\\/')} */\n` : '';

/** The properties of an object schema as interface members (`name?: type;`), documented. */
export function members(schema: TSchema, indent: string): string {
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  const required = new Set<string>((schema.required as string[] | undefined) ?? []);
  let out = '';
  for (const [name, member] of Object.entries(properties)) {
    out += doc(member.description, indent);
    out += `${indent}${key(name)}${required.has(name) ? '' : '?'}: ${typeOf(member, indent)};\n`;
  }
  if (schema.additionalProperties === true || (schema.additionalProperties === undefined && schema.type === 'object' && !schema.properties)) {
    out += `${indent}[member: string]: unknown;\n`;
  }
  return out;
}

/** The TypeScript type of `schema`; `named` false expands the schema marked `x-ts` itself. */
export function typeOf(schema: TSchema, indent = '', named = true): string {
  if (named && typeof schema['x-ts'] === 'string') return schema['x-ts'];
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((value: unknown) => JSON.stringify(value)).join(' | ');
  const union = (schema.anyOf ?? schema.oneOf) as TSchema[] | undefined;
  if (union) return union.map((member) => typeOf(member, indent)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return schema.items ? `Array<${typeOf(schema.items as TSchema, indent)}>` : 'unknown[]';
    case 'object': {
      const patterns = schema.patternProperties as Record<string, TSchema> | undefined;
      if (patterns && !schema.properties) return `Record<string, ${typeOf(Object.values(patterns)[0]!, indent)}>`;
      if (!schema.properties) return schema.additionalProperties === false ? 'Record<string, never>' : 'Record<string, unknown>';
      return `{\n${members(schema, `${indent}  `)}${indent}}`;
    }
    default:
      return 'unknown';
  }
}

/** A plugin function as scripts call it: `(url: string) => Promise<unknown>`. */
export function signatureOf(declared: PluginFunctionDeclaration, indent = ''): string {
  const params = Object.entries(declared.params).map(([name, schema]) => `${name}${schema[OptionalKind] ? '?' : ''}: ${typeOf(schema, indent)}`);
  return `(${params.join(', ')}) => Promise<${typeOf(declared.returns, indent)}>`;
}
