// host.log.<level>(message, fields?): structured log lines tagged with the script and request id.
import { Type } from '@sinclair/typebox';
import { PluginCallError, type Plugin, type PluginCall } from '../../core/plugin/index.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

function write(level: (typeof LEVELS)[number]) {
  return async (args: unknown[], call: PluginCall) => {
    const [message, fields] = args;
    if (fields !== undefined && (typeof fields !== 'object' || fields === null || Array.isArray(fields))) {
      throw new PluginCallError('log fields must be an object');
    }
    const log = call.services.logger.child({ script: call.script, reqId: call.requestId });
    log[level]({ ...(fields as object | undefined), source: 'script' }, String(message));
    return undefined;
  };
}

export const log: Plugin = {
  name: 'log',
  description: 'Structured logging, tagged with the script name and the request id.',
  config: Type.Object({}, { additionalProperties: false }),
  functions: Object.fromEntries(
    LEVELS.map((level) => [
      level,
      { signature: '(message: string, fields?: Record<string, unknown>) => Promise<void>', description: `Writes a line at level ${level}, tagged with the script and request id.`, run: write(level) },
    ]),
  ),
};
