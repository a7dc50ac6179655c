// The OpenTelemetry Node SDK, started when the environment asks for traces (Settings.tracing): it
// reads OTEL_* as it documents (exporter, endpoint, protocol, sampler, resource attributes); only
// traces are set up here (metrics stay on prom-client, logs on pino). Loaded only when tracing is
// on, so a process without it loads none of it.
import type { Logger } from 'pino';
import { enableTracing } from './index.ts';

export interface Tracing {
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export async function startTracing(serviceName: string | undefined, logger: Logger): Promise<Tracing> {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ ...(serviceName ? { serviceName } : {}), metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  enableTracing();
  logger.info({ serviceName: serviceName ?? '(OTEL_SERVICE_NAME)' }, 'OpenTelemetry tracing is on');
  return {
    async shutdown() {
      await sdk.shutdown().catch((err: unknown) => logger.warn({ err }, 'exporting the last spans failed'));
    },
  };
}
