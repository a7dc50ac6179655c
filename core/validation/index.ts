// JSON Schema validation for the whole server: one Ajv per option set, made here and nowhere
// else, and one way of saying what is wrong; and where a text that should be JSON is not.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export type { ErrorObject, ValidateFunction };

export interface ValidatorOptions {
  /** Fill in declared defaults (configuration, settings). */
  defaults?: boolean;
  /** Convert strings to the declared scalar types (run-time configuration patches). */
  coerce?: boolean;
  /** Report every error rather than the first. */
  allErrors?: boolean;
}

const shared = new Map<string, Ajv>();

const optionsOf = ({ defaults = false, coerce = false, allErrors = false }: ValidatorOptions) => ({
  useDefaults: defaults,
  coerceTypes: coerce,
  allErrors,
  strict: false,
});

/** A compiled validator for `schema`, from the shared instance for these options. */
export function schemaValidator<T = unknown>(schema: object, options: ValidatorOptions = {}): ValidateFunction<T> {
  const key = JSON.stringify(optionsOf(options));
  let ajv = shared.get(key);
  if (!ajv) shared.set(key, (ajv = new Ajv(optionsOf(options))));
  return ajv.compile<T>(schema);
}

/**
 * A compiler whose validators are forgotten with it: for schemas that come and go with a
 * script version (match conditions), so retired ones do not stay cached in a shared instance.
 */
export function scratchCompiler(options: ValidatorOptions = {}): (schema: object) => ValidateFunction {
  const ajv = new Ajv(optionsOf(options));
  return (schema) => ajv.compile(schema);
}

/** `a.b.0` for `/a/b/0`, or `root` for the value itself. */
export const memberPath = (error: ErrorObject, root: string): string => (error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : root);

/**
 * One line per error: "<path> <message>", or `unknown(name)` for a member the schema does not
 * allow. `root` names the value itself.
 */
export function describeErrors(errors: ErrorObject[] | null | undefined, root: string, unknown: (name: string) => string, most = 10): string[] {
  return (errors ?? [])
    .filter((error) => error.keyword !== 'anyOf' || errors?.length === 1)
    .slice(0, most)
    .map((error) =>
      error.keyword === 'additionalProperties'
        ? `${error.instancePath ? `${memberPath(error, root)}: ` : ''}${unknown(String(error.params.additionalProperty))}`
        : `${memberPath(error, root)} ${error.message ?? 'is invalid'}`,
    );
}
export { describeJsonError } from './json.ts';
