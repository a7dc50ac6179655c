// host.log.<level>(message, fields?): structured log lines tagged with the script and request id
// (capped in size and rate per script by the server).
import { Type } from '@sinclair/typebox';
import { definePlugin, Nothing, type PluginFunctionDeclaration } from '../../core/plugin/index.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

const line = (level: (typeof LEVELS)[number]): PluginFunctionDeclaration => ({
  description: `Writes a line at level ${level}, tagged with the script and request id.`,
  // Any message is written as text; scripts are told to send a string.
  params: { message: Type.Unsafe<string>({ 'x-ts': 'string' }), fields: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  returns: Nothing,
  async run([message, fields], call) {
    call.log(level, message, fields as Record<string, unknown> | undefined);
    return undefined;
  },
});

export const log = definePlugin(
  'log',
  'Structured logging, tagged with the script name and the request id.',
  Type.Object({}, { additionalProperties: false }),
  Object.fromEntries(LEVELS.map((level) => [level, line(level)])),
);
