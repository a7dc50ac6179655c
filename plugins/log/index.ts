// host.log.<level>(message, fields?): structured log lines tagged with the script and request id.
import { Type } from '@sinclair/typebox';
import { Nothing, type Plugin, type PluginCall, type PluginFunctionDeclaration } from '../../core/plugin/index.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

const line = (level: (typeof LEVELS)[number]): PluginFunctionDeclaration => ({
  description: `Writes a line at level ${level}, tagged with the script and request id.`,
  // Any message is written as text; scripts are told to send a string.
  params: { message: Type.Unsafe<string>({ 'x-ts': 'string' }), fields: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  returns: Nothing,
  async run([message, fields]: unknown[], call: PluginCall) {
    const log = call.services.logger.child({ script: call.script, reqId: call.requestId });
    log[level]({ ...(fields as object | undefined), source: 'script' }, String(message));
    return undefined;
  },
});

export const log: Plugin = {
  name: 'log',
  description: 'Structured logging, tagged with the script name and the request id.',
  config: Type.Object({}, { additionalProperties: false }),
  functions: Object.fromEntries(LEVELS.map((level) => [level, line(level)])),
};
