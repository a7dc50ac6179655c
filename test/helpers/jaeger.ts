// Jaeger (built by .ci/jaeger.sh): OTLP over HTTP in, traces kept in memory, its query API out,
// on ephemeral loopback ports. Without it the tracing suite skips, except under CI, where it fails.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { answers, onFreshPorts, supervised } from './processes.ts';
import { freePort, tempDir } from './server.ts';

export function jaegerBinary(): string | undefined {
  const cache = process.env.REGISTRAR_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'registrar');
  const candidate = process.env.REGISTRAR_JAEGER ?? join(cache, `jaeger-${process.env.JAEGER_VERSION ?? 'v1.75.0'}`, 'jaeger');
  if (existsSync(candidate)) return candidate;
  if (process.env.CI) throw new Error('CI: no Jaeger: run bash .ci/jaeger.sh');
  return undefined;
}

export interface Span {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
  processID: string;
}

export interface Jaeger {
  /** Where OTLP over HTTP is received (OTEL_EXPORTER_OTLP_ENDPOINT). */
  otlpEndpoint: string;
  /** host:port of the same receiver, for servers that want it so (Hydra). */
  otlpAddress: string;
  /** The receiver's process, for its CPU time in benchmarks. */
  pid(): number | undefined;
  /** The trace's spans, with the service of each, waiting until `done` holds of them (or 15 s). */
  trace(traceId: string, done: (spans: Array<Span & { service: string }>) => boolean): Promise<Array<Span & { service: string }>>;
  close(): Promise<void>;
}

export const startJaeger = (): Promise<Jaeger> => onFreshPorts(startJaegerOnce);

async function startJaegerOnce(): Promise<Jaeger> {
  const binary = jaegerBinary();
  if (!binary) throw new Error('no Jaeger: run bash .ci/jaeger.sh');
  const [otlp, query, queryGrpc] = [await freePort(), await freePort(), await freePort()];
  const dir = tempDir('registrar-jaeger-');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memory_store
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${queryGrpc}
  jaeger_storage:
    backends:
      memory_store:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memory_store
`,
  );
  const api = `http://127.0.0.1:${query}/api`;
  const server = supervised({ command: binary, args: [`--config=file:${config}`], ready: answers(`${api}/services`), deadlineMs: 30_000 });
  await server.start();
  return {
    otlpEndpoint: `http://127.0.0.1:${otlp}`,
    otlpAddress: `127.0.0.1:${otlp}`,
    pid: () => server.pid(),
    async trace(traceId, done) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const response = await fetch(`${api}/traces/${traceId}`);
        const body = (await response.json()) as { data?: Array<{ spans: Span[]; processes: Record<string, { serviceName: string }> }> };
        const found = (body.data ?? []).flatMap((trace) => trace.spans.map((span) => ({ ...span, service: trace.processes[span.processID]?.serviceName ?? '?' })));
        if (done(found) || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
