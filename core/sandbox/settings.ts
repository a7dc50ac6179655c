// Per-script settings and configuration properties, in `<script>.json` beside the script.
// Like the script itself they are hot-reloaded; a change applies without touching code.
import { Type, type Static } from '@sinclair/typebox';
import { HOOK_NAMES } from '../policy/index.ts';
import { describeErrors, schemaValidator } from '../validation/index.ts';

export const ScriptSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Load and run the script.' }),
    priority: Type.Integer({ default: 100, description: "Order among scripts (Janssen's level): lower runs first." }),
    timeoutMs: Type.Integer({ default: 200, minimum: 1, maximum: 60_000, description: 'Limit for one hook call: CPU time, and wall-clock time including awaits.' }),
    memoryLimitMb: Type.Integer({ default: 64, minimum: 8, maximum: 4096, description: 'Heap limit of the script isolate, in MB.' }),
    maxInFlight: Type.Integer({ default: 64, minimum: 1, description: 'Calls running at once on the script; more answer 503 with Retry-After.' }),
    maxCpuMsPerSecond: Type.Integer({
      default: 500,
      minimum: 10,
      maximum: 60_000,
      description: "CPU time the script's isolates may use in any second; once used, its calls answer 503 with Retry-After until the second moves on, so a script burning CPU on the requests it matches leaves the server's cores to the rest.",
    }),
    maxPluginCallsInFlight: Type.Integer({ default: 16, minimum: 1, maximum: 1000, description: 'Plugin calls of the script outstanding at once; more are refused (the script gets an error).' }),
    maxPluginCallsPerHook: Type.Integer({
      default: 50,
      minimum: 1,
      maximum: 10_000,
      description: 'Plugin calls one hook call may make; further ones are refused inside the isolate (the script gets an error) and never reach the server.',
    }),
    maxPluginBytesPerHook: Type.Integer({
      default: 1024 * 1024,
      minimum: 1024,
      maximum: 64 * 1024 * 1024,
      description: 'Bytes of plugin arguments and answers one hook call may exchange; once spent, further calls are refused, and an answer larger than this is refused at the server.',
    }),
    onError: Type.Union([Type.Literal('fail'), Type.Literal('skip')], {
      default: 'fail',
      description: '`fail`: a failing hook fails the request (closed). `skip`: the script is passed over for that call.',
    }),
    mode: Type.Optional(
      Type.Union([Type.Literal('enforce'), Type.Literal('shadow')], {
        description:
          '`shadow`: the script runs on live traffic after the enforced scripts; what it decides is recorded (decision log, metrics: agreed, would-refuse, would-accept, would-change) and never applied. Default: `shadow` for a script named `<name>.next`, else `enforce`.',
      }),
    ),
    hooks: Type.Optional(
      Type.Array(Type.Union(HOOK_NAMES.map((hook) => Type.Literal(hook))), {
        uniqueItems: true,
        description: 'The hooks the script must export: a version that lacks one is refused (the version in force keeps serving), so no save, however it is caught half-way, drops a declared hook.',
      }),
    ),
    plugins: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
      default: {},
      description: 'Plugins granted to the script, each with its configuration, e.g. {"clients": {}, "http": {"allowedHosts": ["x.example"]}}.',
    }),
    properties: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "The script's configuration properties (Janssen's configuration attributes), given to every hook as context.properties.",
    }),
  },
  { additionalProperties: false },
);

export type ScriptSettings = Static<typeof ScriptSettingsSchema>;

const validate = schemaValidator<ScriptSettings>(ScriptSettingsSchema, { defaults: true, allErrors: true });

/** Parses and validates a settings file's text (undefined: no file, all defaults). Throws with the reasons. */
export function parseSettings(text: string | undefined): ScriptSettings {
  const value: unknown = text === undefined ? {} : JSON.parse(text);
  if (!validate(value)) {
    const reasons = describeErrors(validate.errors, 'settings', (name) => `unknown setting "${name}"`);
    throw new Error(`invalid settings: ${reasons.join('; ')}`);
  }
  return value;
}
