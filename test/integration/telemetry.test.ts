/**
 * OpenTelemetry on a real server: a worker whose environment names an OTLP endpoint (an
 * in-process OTLP/HTTP receiver, `http/json`) exports one trace per run, the workflow span
 * above every call's span, model calls with the GenAI attributes and the tokens the model
 * reported, the tool call, the denial, and the metrics, flushed when the worker stops.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { replayHistories } from '../../worker/replay.ts';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values: OtlpAttribute['value'][] } };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: OtlpAttribute[];
  events?: { name: string; attributes: OtlpAttribute[] }[];
}
interface OtlpDataPoint {
  attributes: OtlpAttribute[];
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
}
interface OtlpMetric {
  name: string;
  sum?: { dataPoints: OtlpDataPoint[] };
  histogram?: { dataPoints: OtlpDataPoint[] };
}

/** A minimal OTLP/HTTP receiver: keeps every JSON body posted to /v1/traces and /v1/metrics. */
async function startOtlpReceiver(): Promise<{ url: string; bodies: { path: string; contentType: string; tenant?: string; body: any }[]; close(): Promise<void> }> {
  const bodies: { path: string; contentType: string; tenant?: string; body: any }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const contentType = String(request.headers['content-type']);
      bodies.push({ path: request.url ?? '', contentType, tenant: request.headers['x-tenant'] as string | undefined, body: contentType.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : bytes });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function valueOf(value: OtlpAttribute['value']): unknown {
  if (value.arrayValue) return value.arrayValue.values.map(valueOf);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}
function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));
}

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let stub: RecordingServer;
let harness: Harness;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stub = await startRecordingServer();
  harness = await startHarness({
    env: {
      ...process.env,
      ORCH_TOOLS_ALLOW_LOOPBACK: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'orch-telemetry-test',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    },
  });
});
afterAll(async () => {
  await harness?.stop();
  await stub?.close();
  await receiver?.close();
});

describe('traces and metrics over OTLP', () => {
  it('one trace per run: workflow span above model and tool spans, GenAI attributes, the denial, the metrics', async () => {
    const file = writeOverride([
      {
        apiVersion: 'orch/v1',
        kind: 'ModelEndpoint',
        metadata: { name: 'tel-model' },
        spec: {
          provider: 'mock',
          default_model: 'mock-1',
          pricing: { input_per_million: 10, output_per_million: 30 },
          mock: {
            responses: {
              researcher: [
                {
                  tool_calls: [
                    { tool: 'lookup-tool', input: { q: 'otel' } },
                    { tool: 'publish-tool', input: { text: 'now' } },
                  ],
                  usage: { input_tokens: 11, output_tokens: 7 },
                },
                { text: 'found it', usage: { input_tokens: 13, output_tokens: 5 } },
              ],
              writer: [{ text: 'written', usage: { input_tokens: 17, output_tokens: 3 } }],
            },
          },
        },
      },
      httpTool('default', 'lookup-tool', `${stub.url}/lookup-tool`),
      httpTool('default', 'publish-tool', `${stub.url}/publish-tool`),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'researcher' }, spec: { model_ref: 'tel-model', prompt: 'research', tools: ['lookup-tool', 'publish-tool'] } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'writer' }, spec: { model_ref: 'tel-model', prompt: 'write' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'tel-system' }, spec: { agents: ['researcher', 'writer'], graph: { researcher: { next: 'writer' } } } },
      { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'no-publish' }, spec: { apply_mode: 'global', blocked_tools: ['publish-tool'], on_violation: 'feedback' } },
    ]);
    const plan = await compileOk([file]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    // A traced run's history replays against the default (untraced) workflow bundle: trace headers are not commands.
    const history = await run.handle.fetchHistory();
    expect((await replayHistories([{ workflowId: run.workflowId, runId: run.runId ?? '', history }]))[0]!.divergence).toBeNull();
    expect(stub.requests.filter((r) => r.path === '/lookup-tool')).toHaveLength(1);
    expect(stub.requests.filter((r) => r.path === '/publish-tool')).toHaveLength(0);

    // A hard-stop denial is decided in workflow code: no activity sees it, the workflow span shows it.
    const stopped = await harness.client.start(
      await compileOk([
        writeOverride([
          mockEndpoint('default', 'stop-model', { insister: [{ tool_calls: [{ tool: 'publish-tool', input: { text: 'now' } }] }] }),
          httpTool('default', 'publish-tool', `${stub.url}/publish-tool`),
          { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'insister' }, spec: { model_ref: 'stop-model', prompt: 'publish', tools: ['publish-tool'] } },
          { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'stop-system' }, spec: { agents: ['insister'] } },
          { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'stop-publish' }, spec: { apply_mode: 'global', blocked_tools: ['publish-tool'] } },
        ]),
      ])
    );
    expect(await stopped.result()).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED' } });

    // Stopping the worker flushes its exporters.
    await harness.stop();
    harness = undefined as unknown as Harness;

    const traceBodies = receiver.bodies.filter((b) => b.path === '/v1/traces');
    expect(traceBodies.length).toBeGreaterThan(0);
    expect(traceBodies.every((b) => b.contentType.startsWith('application/json'))).toBe(true);
    const resourceSpans = traceBodies.flatMap((b) => b.body.resourceSpans as { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[]);
    expect(attributesOf(resourceSpans[0]!.resource.attributes)).toMatchObject({ 'service.name': 'orch-telemetry-test', 'deployment.environment': 'test' });
    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

    const workflowSpanOf = (workflowId: string) => spans.find((s) => s.name === 'RunWorkflow:orchRun' && attributesOf(s.attributes).workflowId === workflowId);
    const workflowSpan = workflowSpanOf(run.workflowId);
    const stoppedSpan = workflowSpanOf(stopped.workflowId);
    expect(workflowSpan, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(stoppedSpan).toBeDefined();
    // One trace per run: every span is in the trace of one of the two runs.
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([workflowSpan!.traceId, stoppedSpan!.traceId]));
    expect(workflowSpan!.traceId).not.toBe(stoppedSpan!.traceId);
    expect(attributesOf(workflowSpan!.attributes)).toMatchObject({ 'orch.run.status': 'succeeded', 'orch.usage.input_tokens': 41, 'orch.usage.output_tokens': 15, 'orch.usage.model_calls': 3, 'orch.usage.tool_calls': 1, 'orch.activations': 2 });
    expect(attributesOf(workflowSpan!.attributes)['orch.cost_usd']).toBeCloseTo((41 * 10 + 15 * 30) / 1e6, 12);
    expect(attributesOf(stoppedSpan!.attributes)).toMatchObject({ 'orch.run.status': 'failed', 'error.type': 'POLICY_DENIED', 'orch.agent': 'insister' });
    expect((stoppedSpan!.events ?? []).filter((e) => e.name === 'orch.denial').map((e) => attributesOf(e.attributes))).toEqual([{ 'orch.denial.code': 'POLICY_DENIED', 'orch.agent': 'insister' }]);

    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const descendsFromWorkflow = (span: OtlpSpan): boolean => {
      for (let at: OtlpSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) if (at === workflowSpan) return true;
      return false;
    };

    const runSpans = spans.filter((s) => s.traceId === workflowSpan!.traceId);
    const modelSpans = runSpans.filter((s) => attributesOf(s.attributes)['gen_ai.operation.name'] === 'chat');
    expect(modelSpans).toHaveLength(3);
    expect(modelSpans.every(descendsFromWorkflow)).toBe(true);
    const modelAttributes = modelSpans.map((s) => attributesOf(s.attributes)).sort((a, b) => `${a['orch.agent']}${a['orch.step']}`.localeCompare(`${b['orch.agent']}${b['orch.step']}`));
    const common = { 'gen_ai.system': 'mock', 'gen_ai.provider.name': 'mock', 'gen_ai.request.model': 'mock-1', 'gen_ai.response.model': expect.any(String) };
    expect(modelAttributes).toMatchObject([
      { ...common, 'orch.agent': 'researcher', 'orch.step': 1, 'gen_ai.usage.input_tokens': 11, 'gen_ai.usage.output_tokens': 7, 'gen_ai.response.finish_reasons': ['tool-calls'], 'orch.cost_usd': (11 * 10 + 7 * 30) / 1e6 },
      { ...common, 'orch.agent': 'researcher', 'orch.step': 2, 'gen_ai.usage.input_tokens': 13, 'gen_ai.usage.output_tokens': 5, 'gen_ai.response.finish_reasons': ['stop'] },
      { ...common, 'orch.agent': 'writer', 'orch.step': 1, 'gen_ai.usage.input_tokens': 17, 'gen_ai.usage.output_tokens': 3 },
    ]);
    expect(modelSpans.map((s) => s.name)).toEqual(['chat mock-1', 'chat mock-1', 'chat mock-1']);
    // Nothing of the prompts or the outputs is in a span.
    expect(JSON.stringify(spans)).not.toMatch(/research"|found it|written|otel"/);

    // The scheduling spans name the agent and the tool too.
    const scheduled = runSpans.filter((s) => s.name.startsWith('StartActivity:')).map((s): Record<string, unknown> => ({ name: s.name, ...attributesOf(s.attributes) }));
    expect(scheduled).toHaveLength(4);
    expect(scheduled.filter((s) => s.name === 'StartActivity:callTool')).toMatchObject([{ 'orch.agent': 'researcher', 'orch.tool': 'default/lookup-tool', 'orch.step': 1 }]);
    expect(scheduled.filter((s) => s.name === 'StartActivity:callModel').map((s) => s['orch.agent']).sort()).toEqual(['researcher', 'researcher', 'writer']);
    const toolSpans = runSpans.filter((s) => attributesOf(s.attributes)['gen_ai.operation.name'] === 'execute_tool');
    expect(toolSpans.map((s) => attributesOf(s.attributes))).toMatchObject([{ 'orch.tool': 'default/lookup-tool', 'orch.agent': 'researcher', 'orch.tool.is_error': false }]);
    expect(toolSpans.every(descendsFromWorkflow)).toBe(true);

    // The refusal reached the model in its next call: an event on that call's span.
    const denial = runSpans.flatMap((s) => (s.events ?? []).filter((e) => e.name === 'orch.denial').map((e) => attributesOf(e.attributes)));
    expect(denial).toEqual([{ 'orch.denial.code': 'POLICY_DENIED', 'orch.agent': 'researcher', 'orch.tool': 'publish-tool' }]);

    const metrics = receiver.bodies
      .filter((b) => b.path === '/v1/metrics')
      .flatMap((b) => b.body.resourceMetrics.flatMap((r: any) => r.scopeMetrics.flatMap((s: any) => s.metrics as OtlpMetric[])));
    const last = (name: string) => metrics.filter((m) => m.name === name).at(-1);
    const points = (name: string): Array<Record<string, unknown> & { value: number }> => (last(name)?.sum ?? last(name)?.histogram)?.dataPoints.map((p: OtlpDataPoint) => ({ ...attributesOf(p.attributes), value: Number(p.asInt ?? p.asDouble ?? p.count) })) ?? [];
    const tokens = points('orch.tokens');
    const tokensOf = (agent: string, type: string) => tokens.find((p) => p['orch.agent'] === agent && p['gen_ai.token.type'] === type)?.value;
    expect([tokensOf('researcher', 'input'), tokensOf('researcher', 'output'), tokensOf('writer', 'input'), tokensOf('writer', 'output')]).toEqual([24, 12, 17, 3]);
    expect(points('orch.cost_usd').reduce((sum, p) => sum + p.value, 0)).toBeCloseTo((41 * 10 + 15 * 30) / 1e6, 12);
    expect(points('orch.denials')).toEqual(
      expect.arrayContaining([
        { 'orch.denial.code': 'POLICY_DENIED', 'orch.agent': 'researcher', 'orch.tool': 'publish-tool', value: 1 },
        { 'orch.denial.code': 'POLICY_DENIED', 'orch.agent': 'insister', value: 1 },
      ])
    );
    expect(points('orch.denials')).toHaveLength(2);
    expect(points('orch.model_call.duration').reduce((sum, p) => sum + p.value, 0)).toBe(4);
    expect(points('orch.tool_call.duration')).toMatchObject([{ 'orch.tool': 'default/lookup-tool', value: 1 }]);
  });
});

describe('http/protobuf, the default protocol', () => {
  it('exports traces and metrics as protobuf to the signal paths under OTEL_EXPORTER_OTLP_ENDPOINT, with its headers', async () => {
    const protobuf = await startOtlpReceiver();
    const worker = await startHarness({ env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `${protobuf.url}/otlp`, OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=orch%20team' } });
    try {
      const file = writeOverride([
        mockEndpoint('default', 'pb-model', { solo: [{ text: 'done', usage: { input_tokens: 2, output_tokens: 1 } }] }),
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'solo' }, spec: { model_ref: 'pb-model', prompt: 'go' } },
        { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'pb-system' }, spec: { agents: ['solo'] } },
      ]);
      const run = await worker.client.start(await compileOk([file]));
      expect((await run.result()).status).toBe('succeeded');
    } finally {
      await worker.stop();
      await protobuf.close();
    }
    const seen = protobuf.bodies.map((b) => `${b.path} ${b.contentType}`);
    expect(new Set(seen)).toEqual(new Set(['/otlp/v1/traces application/x-protobuf', '/otlp/v1/metrics application/x-protobuf']));
    expect(protobuf.bodies.every((b) => Buffer.isBuffer(b.body) && b.body.length > 0 && b.tenant === 'orch team')).toBe(true);
  });
});
