// Tracing with a real receiver: Registrar (its own process, OTEL_* in its environment) sends its
// spans to Jaeger over OTLP; Ory Hydra, connected, sends its own there too. A registration that
// arrives with a traceparent is one trace: the request, its hook call and the plugin call the
// script made, the store operations, the call to Hydra and, under it, Hydra's own spans. The
// decision record and the log lines name the trace; no span holds a secret or the request body.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_ID, ADMIN_SECRET, adminToken } from '../helpers/admin.ts';
import { available, startHydra, type Hydra } from '../helpers/authorizationServers.ts';
import { jaegerBinary, startJaeger, type Jaeger } from '../helpers/jaeger.ts';
import { startProcess, stopProcess, type Running } from '../helpers/process.ts';
import { freePort, httpRequest, tempDir } from '../helpers/server.ts';

const ready = Boolean(jaegerBinary()) && available('hydra');

describe('OpenTelemetry traces, at a real receiver', { skip: !ready && 'Jaeger or Hydra is not built (bash .ci/jaeger.sh, bash .ci/hydra.sh)' }, () => {
  let jaeger: Jaeger;
  let hydra: Hydra;
  let registrar: Running;
  let dir: string;

  before(async () => {
    jaeger = await startJaeger();
    hydra = await startHydra({
      env: {
        TRACING_PROVIDER: 'otel',
        TRACING_SERVICE_NAME: 'hydra',
        TRACING_PROVIDERS_OTLP_SERVER_URL: jaeger.otlpAddress,
        TRACING_PROVIDERS_OTLP_INSECURE: 'true',
        TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO: '1',
      },
    });
    dir = tempDir();
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts', 'gate.js'), `export async function createClient(context) { await host.cache.set('last', context.requestId); return true; }`);
    writeFileSync(join(dir, 'scripts', 'gate.json'), JSON.stringify({ plugins: { cache: {} } }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ authorizationServer: { type: 'hydra', adminUrl: hydra.adminUrl, issuer: hydra.issuer } }));
    registrar = await startProcess({
      PORT: String(await freePort()),
      DCR_HOST: '127.0.0.1',
      DCR_DATA_DIR: join(dir, 'data'),
      DCR_SCRIPTS_DIR: join(dir, 'scripts'),
      DCR_CONFIG: join(dir, 'config.json'),
      DCR_ADMIN_CLIENT_ID: ADMIN_ID,
      DCR_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      DCR_LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  });
  after(async () => {
    await stopProcess(registrar);
    await hydra.close();
    await jaeger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one trace from the caller through the hook, the plugin, the store and Hydra, into Hydra; the decision and the log name it; no secret in it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const created = await httpRequest(`${registrar.url}/register`, 'POST', {
      json: { grant_types: ['client_credentials'], response_types: [], client_name: 'traced' },
      headers: { traceparent: `00-${traceId}-${parent}-01` },
    });
    assert.equal(created.status, 201, created.text);

    const spans = await jaeger.trace(traceId, (found) => found.some((span) => span.service === 'hydra') && found.some((span) => span.operationName === 'plugin cache.set'));
    const byId = new Map(spans.map((span) => [span.spanID, span]));
    const parentOf = (span: (typeof spans)[number]) => byId.get(span.references.find((reference) => reference.refType === 'CHILD_OF')?.spanID ?? '');
    const named = (name: string) => spans.find((span) => span.operationName === name);
    const tag = (span: (typeof spans)[number] | undefined, key: string) => span?.tags.find((each) => each.key === key)?.value;

    const request = named('POST /register');
    assert.ok(request, `the request's span: ${spans.map((span) => span.operationName).join(', ')}`);
    assert.equal(request.references[0]?.spanID, parent, "the caller's traceparent is its parent");
    assert.equal(tag(request, 'http.response.status_code'), 201);
    assert.equal(tag(request, 'registrar.client_id'), created.json.client_id);
    const hook = named('hook createClient');
    assert.equal(parentOf(hook!)?.operationName, 'POST /register');
    assert.equal(tag(hook, 'registrar.script'), 'gate');
    assert.equal(tag(hook, 'registrar.decision'), 'true');
    assert.match(String(tag(hook, 'registrar.script.version')), /^[0-9a-f]{12}$/);
    assert.equal(parentOf(named('plugin cache.set')!)?.operationName, 'hook createClient', 'a plugin call is a child of its hook call');
    assert.equal(parentOf(named('store clients.insert')!)?.operationName, 'POST /register');
    const toHydra = named('authorization-server create');
    assert.equal(parentOf(toHydra!)?.operationName, 'POST /register');
    const sent = spans.find((span) => span.operationName === 'HTTP POST' && parentOf(span) === toHydra);
    assert.ok(sent, 'the HTTP call to Hydra');
    const inHydra = spans.filter((span) => span.service === 'hydra');
    assert.ok(inHydra.some((span) => parentOf(span) === sent), `Hydra's spans continue the trace from the call: ${inHydra.map((span) => span.operationName).join(', ')}`);

    // Registrar's spans (what Hydra records is Hydra's business).
    const text = JSON.stringify(spans.filter((span) => span.service === 'registrar'));
    for (const secret of [created.json.client_secret, created.json.registration_access_token]) assert.ok(!text.includes(secret), 'no credential in any span');
    assert.ok(!text.includes('traced'), 'no request member in any span');

    const token = await adminToken(registrar.url);
    const [decision] = (await httpRequest(`${registrar.url}/admin/decisions?client_id=${created.json.client_id}`, 'GET', { token })).json.decisions;
    assert.equal(decision.traceId, traceId, 'the decision record names the trace');
    const lines = registrar.stdout().split('\n').filter((line) => line.includes(`"trace_id":"${traceId}"`));
    assert.ok(lines.some((line) => line.includes('"msg":"client registered"')), 'the log lines name the trace');
  });
});

describe('tracing off', () => {
  it('makes no spans and names no trace: decision records and log lines carry none', async () => {
    const dataDir = tempDir();
    const running = await startProcess({ PORT: String(await freePort()), DCR_HOST: '127.0.0.1', DCR_DATA_DIR: dataDir, DCR_SCRIPTS_OPTIONAL: 'true', DCR_SCRIPTS_DIR: join(dataDir, 'none'), DCR_LOG_LEVEL: 'info', DCR_ADMIN_CLIENT_ID: ADMIN_ID, DCR_ADMIN_CLIENT_SECRET: ADMIN_SECRET });
    try {
      const created = await httpRequest(`${running.url}/register`, 'POST', { json: { redirect_uris: ['https://client.example.org/cb'] }, headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` } });
      assert.equal(created.status, 201);
      const token = await adminToken(running.url);
      const [decision] = (await httpRequest(`${running.url}/admin/decisions?client_id=${created.json.client_id}`, 'GET', { token })).json.decisions;
      assert.equal(decision.traceId, undefined);
      assert.ok(!running.stdout().includes('trace_id'));
      assert.ok(!running.stdout().includes('OpenTelemetry tracing is on'));
    } finally {
      await stopProcess(running);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
