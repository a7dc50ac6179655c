// Match conditions: a script may declare, per hook, a JSON Schema its `context` must satisfy for
// the hook to be called at all (like the matchConditions of Kubernetes admission webhooks). The
// host checks it before crossing into the isolate, so a hook with nothing to do costs no call.
// Schemas come from script code, so only a safe subset of JSON Schema is accepted: keywords whose
// checking costs at most the schema's size times the data's (the schema is capped at 64 KiB), no
// regular expressions (ReDoS on the event loop), no formats, no references.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { HOOK_NAMES, type HookName } from '../policy/index.ts';
import { describeErrors, schemaValidator, scratchCompiler, type ValidateFunction } from '../validation/index.ts';

/** Hooks a match condition may guard (init and destroy always run). */
export type MatchableHook = Exclude<HookName, 'init' | 'destroy'>;
export const MATCHABLE_HOOKS = HOOK_NAMES.filter((hook): hook is MatchableHook => hook !== 'init' && hook !== 'destroy');

const JSON_TYPE = Type.Union(['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'].map((t) => Type.Literal(t)));
const COUNT = Type.Integer({ minimum: 0 });

/** The JSON Schema subset a match condition is written in. */
export const MatchSchema = Type.Recursive((Self) =>
  Type.Partial(
    Type.Object(
      {
        description: Type.String(),
        type: Type.Union([JSON_TYPE, Type.Array(JSON_TYPE, { minItems: 1 })]),
        const: Type.Unknown(),
        enum: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }),
        properties: Type.Record(Type.String(), Self),
        required: Type.Array(Type.String(), { maxItems: 100 }),
        additionalProperties: Type.Union([Type.Boolean(), Self]),
        items: Self,
        contains: Self,
        minItems: COUNT,
        maxItems: COUNT,
        minLength: COUNT,
        maxLength: COUNT,
        minimum: Type.Number(),
        maximum: Type.Number(),
        not: Self,
        anyOf: Type.Array(Self, { minItems: 1, maxItems: 100 }),
        allOf: Type.Array(Self, { minItems: 1, maxItems: 100 }),
        oneOf: Type.Array(Self, { minItems: 1, maxItems: 100 }),
      },
      { additionalProperties: false },
    ),
  ),
);

export type MatchCondition = Static<typeof MatchSchema>;

/** What a script's `match` export declares: hook name → condition on that hook's context. */
export const MatchDeclarationSchema = Type.Record(Type.String(), MatchSchema as TSchema);

/** Largest match declaration accepted, serialised. */
const MAX_DECLARATION_BYTES = 64 * 1024;

const validateDeclaration = schemaValidator(MatchDeclarationSchema, { allErrors: true });

export type MatchConditions = ReadonlyMap<HookName, ValidateFunction>;

/**
 * Checks and compiles a script's match declaration (`undefined`: the script declares none).
 * Throws an Error naming the reason when it is not acceptable.
 */
export function compileMatch(declaration: unknown, exported: ReadonlySet<string>): MatchConditions | undefined {
  if (declaration === undefined || declaration === null) return undefined;
  if (JSON.stringify(declaration).length > MAX_DECLARATION_BYTES) throw new Error(`match: the declaration is larger than ${MAX_DECLARATION_BYTES} bytes`);
  if (!validateDeclaration(declaration)) {
    const reasons = describeErrors(validateDeclaration.errors, '(root)', (name) => `"${name}" is not supported in match conditions`, 5);
    throw new Error(`match: ${reasons.join('; ')}`);
  }
  // One Ajv per version, so retired versions' compiled conditions go with them. Conditions only
  // read the context: no defaults, no coercion, no removal.
  const compile = scratchCompiler();
  const conditions = new Map<HookName, ValidateFunction>();
  for (const [hook, schema] of Object.entries(declaration as Record<string, object>)) {
    if (!(MATCHABLE_HOOKS as readonly string[]).includes(hook)) throw new Error(`match: "${hook}" is not a hook a condition can guard`);
    if (!exported.has(hook)) throw new Error(`match: the script does not export ${hook}`);
    conditions.set(hook as HookName, compile(schema));
  }
  return conditions;
}
