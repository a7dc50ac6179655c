// Result validation: each hook's result schema from the hook table, compiled once.
import type { ValidateFunction } from 'ajv';
import { HOOK_NAMES, HOOKS, type HookName } from '../policy/index.ts';
import { schemaValidator } from '../validation/index.ts';

export const RESULT_VALIDATORS = new Map<HookName, ValidateFunction>(HOOK_NAMES.map((hook) => [hook, schemaValidator(HOOKS[hook].result)]));
