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
import { approvalRequired, compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { replayHistories } from '../../worker/replay.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { OrchClient } from '../../client/orch-client.ts';
import * as otel from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client/index.js';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values: OtlpAttribute['value'][] } };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
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

/** Every span in the trace bodies a receiver got. */
function spansIn(bodies: { path: string; body: any }[]): OtlpSpan[] {
  return bodies
    .filter((b) => b.path === '/v1/traces')
    .flatMap((b) => (b.body.resourceSpans as { scopeSpans: { spans: OtlpSpan[] }[] }[]).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
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

    // The refusal itself, where the run decided it: a span under the researcher's activation.
    const refusalSpans = runSpans.filter((s) => s.name.startsWith('refusal '));
    expect(refusalSpans.map((s) => ({ ...attributesOf(s.attributes), name: s.name, parent: byId.get(s.parentSpanId ?? '')?.name }))).toMatchObject([
      { name: 'refusal POLICY_DENIED', parent: 'invoke_agent researcher', 'orch.agent': 'researcher', 'orch.denial.code': 'POLICY_DENIED', 'orch.tool': 'publish-tool' },
    ]);

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

describe('inside the run: agent activations, policy decisions and waits', () => {
  it('are spans of the run\'s trace, above the calls made in them; a delegate\'s run is in the same trace', async () => {
    const otlp = await startOtlpReceiver();
    const worker = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } });
    let approved: Awaited<ReturnType<typeof worker.client.start>>;
    let topped: Awaited<ReturnType<typeof worker.client.start>>;
    try {
      const spend = { tool_calls: [{ tool: 'lookup-tool', input: {} }], usage: { input_tokens: 250, output_tokens: 50 } };
      const file = writeOverride([
        mockEndpoint('default', 'inner-model', {
          editor: [
            {
              tool_calls: [
                { tool: 'lookup-tool', input: { q: 'a' } },
                { tool: 'publish-tool', input: { slug: 'x' } },
                { tool: 'delegate--hand', input: { task: 'check' } },
                { tool: 'whatever-the-model-wrote', input: {} },
              ],
            },
            { text: 'edited' },
          ],
          hand: [{ text: 'checked' }],
        }),
        httpTool('default', 'lookup-tool', `${stub.url}/lookup-tool`),
        httpTool('default', 'publish-tool', `${stub.url}/publish-tool`, { operation_classes: ['write'] }),
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'editor' }, spec: { model_ref: 'inner-model', prompt: 'edit', tools: ['lookup-tool', 'publish-tool'] } },
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'inner-model', prompt: 'check' } },
        { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'inner-system' }, spec: { agents: ['editor', 'hand'], graph: { editor: { delegates: ['hand'] } } } },
        approvalRequired('publish-tool', 'publish-needs-approval'),
      ]);
      approved = await worker.client.start(await compileOk([file]));
      for (let i = 0; i < 200 && (await approved.approvals().catch(() => [])).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      await approved.approve('approval-1', 'alice');
      expect(await approved.result()).toMatchObject({ status: 'succeeded', output: 'edited' });

      const saverFile = writeOverride([
        mockEndpoint('default', 'saver-model', { saver: [spend, spend, spend, { text: 'saved', usage: { input_tokens: 250, output_tokens: 50 } }] }),
        httpTool('default', 'lookup-tool', `${stub.url}/lookup-tool`),
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'saver' }, spec: { model_ref: 'saver-model', prompt: 'spend', tools: ['lookup-tool'] } },
        { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'saver-system' }, spec: { agents: ['saver'] } },
        { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'pause-at-thousand' }, spec: { apply_mode: 'global', max_tokens_per_run: 1000, on_budget_exhausted: 'pause' } },
      ]);
      topped = await worker.client.start(await compileOk([saverFile]));
      for (let i = 0; i < 200 && !(await topped.budgetPause().catch(() => null)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      await topped.topUp({ tokens: 1000 }, 'dana');
      expect(await topped.result()).toMatchObject({ status: 'succeeded', output: 'saved' });
    } finally {
      await worker.stop();
      await otlp.close();
    }

    const spans = spansIn(otlp.bodies);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (span: OtlpSpan) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);
    const descendsFrom = (span: OtlpSpan, ancestor: OtlpSpan): boolean => {
      for (let at = parentOf(span); at; at = parentOf(at)) if (at === ancestor) return true;
      return false;
    };
    const attrs = (span: OtlpSpan) => attributesOf(span.attributes);
    const workflowSpans = spans.filter((s) => s.name === 'RunWorkflow:orchRun');
    const rootOf = (workflowId: string) => workflowSpans.find((s) => attrs(s).workflowId === workflowId)!;
    const root = rootOf(approved!.workflowId);
    expect(root).toBeDefined();
    const inTrace = spans.filter((s) => s.traceId === root.traceId);

    // The activations: GenAI invoke_agent spans under the run (the delegate's under its own child run, in the same trace).
    const agentSpans = inTrace.filter((s) => s.name.startsWith('invoke_agent '));
    expect(agentSpans.map((s) => s.name).sort()).toEqual(['invoke_agent editor', 'invoke_agent hand']);
    const editor = agentSpans.find((s) => s.name === 'invoke_agent editor')!;
    const hand = agentSpans.find((s) => s.name === 'invoke_agent hand')!;
    expect(parentOf(editor)).toBe(root);
    expect(attrs(editor)).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'editor', 'orch.agent': 'editor', 'orch.steps': 2, 'orch.stopped_by': 'answer' });
    const child = inTrace.find((s) => s.name === 'RunWorkflow:orchDelegate');
    expect(child, 'the delegate\'s run is in the trace').toBeDefined();
    expect(descendsFrom(child!, editor)).toBe(true);
    expect(parentOf(hand)).toBe(child);

    // Every call the editor made is inside its activation.
    const calls = inTrace.filter((s) => s.name.startsWith('StartActivity:') && descendsFrom(s, root) && !descendsFrom(s, child!));
    expect(calls.length).toBe(4); // two model calls, the lookup, the approved publish
    expect(calls.every((s) => descendsFrom(s, editor))).toBe(true);

    // A decision span per policy check: the model for each step, each tool; the deciding policy and rule when not allowed.
    const decisions = inTrace.filter((s) => s.name.startsWith('policy ') && parentOf(s) === editor).map(attrs);
    expect(decisions.filter((d) => d['orch.policy.subject'] === 'model')).toHaveLength(2);
    expect(decisions.filter((d) => d['orch.policy.subject'] !== 'model').sort((a, b) => String(a['orch.tool']).localeCompare(String(b['orch.tool'])))).toMatchObject([
      { 'orch.policy.subject': 'delegate', 'orch.tool': 'delegate--hand', 'orch.policy.verdict': 'allow' },
      { 'orch.policy.subject': 'tool', 'orch.tool': 'lookup-tool', 'orch.policy.verdict': 'allow' },
      {
        'orch.policy.subject': 'tool',
        'orch.tool': 'publish-tool',
        'orch.policy.verdict': 'approval_required',
        'orch.policy.name': 'ToolPermission default/publish-needs-approval',
        'orch.policy.rule': 'operation_rules[0]',
      },
    ]);

    // A call to a tool the agent does not have: refused, traced by its code; the name the model made up stays out.
    const refused = inTrace.filter((s) => s.name.startsWith('refusal ') && parentOf(s) === editor).map(attrs);
    expect(refused).toMatchObject([{ 'orch.denial.code': 'TOOL_NOT_DECLARED', 'orch.agent': 'editor' }]);
    expect(refused[0]!['orch.tool']).toBeUndefined();
    expect(JSON.stringify(spans)).not.toContain('whatever-the-model-wrote');

    // The approval wait: a span from the request to the decision, with who decided.
    const waits = inTrace.filter((s) => s.name.startsWith('wait '));
    expect(waits.map((s) => ({ ...attrs(s), name: s.name, parent: parentOf(s)?.name }))).toMatchObject([
      { name: 'wait approval publish-tool', parent: 'invoke_agent editor', 'orch.wait': 'approval', 'orch.approval.id': 'approval-1', 'orch.approval.decision': 'approved', 'orch.approval.decided_by': 'alice', 'orch.policy.rule': 'operation_rules[0]' },
    ]);
    const publish = calls.find((s) => attrs(s)['orch.tool'] === 'default/publish-tool')!;
    const wait = waits[0]!;
    expect(BigInt(publish.startTimeUnixNano!)).toBeGreaterThanOrEqual(BigInt(wait.endTimeUnixNano!));

    // The budget pause: a span under the activation that ran out, ended by the top-up.
    const saverRoot = rootOf(topped!.workflowId);
    const budgetWait = spans.filter((s) => s.traceId === saverRoot.traceId && s.name.startsWith('wait '));
    expect(budgetWait.map((s) => ({ ...attrs(s), name: s.name, parent: parentOf(s)?.name }))).toMatchObject([
      { name: 'wait budget tokens', parent: 'invoke_agent saver', 'orch.wait': 'budget', 'orch.budget.limit': 'tokens', 'orch.policy.name': 'AgentPolicy default/pause-at-thousand', 'orch.budget.action': 'top_up', 'orch.budget.decided_by': 'dana' },
    ]);
  });
});

describe('a span that outlives its worker', () => {
  it('an activation waiting for approval across a worker restart: its span, re-created in the replay, is the parent its children were exported under', async () => {
    const otlp = await startOtlpReceiver();
    const env = { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const first = await startHarness({ env });
    const file = writeOverride([
      mockEndpoint('default', 'restart-model', {
        editor: [{ tool_calls: [{ tool: 'publish-tool', input: { slug: 'draft' } }] }, { text: 'drafted' }],
        publisher: [{ tool_calls: [{ tool: 'publish-tool', input: { slug: 'final' } }] }, { text: 'published' }],
      }),
      httpTool('default', 'publish-tool', `${stub.url}/publish-tool`, { operation_classes: ['write'] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'editor' }, spec: { model_ref: 'restart-model', prompt: 'edit', tools: ['publish-tool'] } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'publisher' }, spec: { model_ref: 'restart-model', prompt: 'publish', tools: ['publish-tool'] } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'restart-system' }, spec: { agents: ['editor', 'publisher'], graph: { editor: { next: 'publisher' } } } },
      approvalRequired('publish-tool', 'publish-needs-approval'),
    ]);
    const waitFor = async (run: { approvals(): Promise<{ id: string }[]> }, id: string) => {
      // Each poll is a query: Temporal traces it, drawing span ids the replay will not draw.
      for (let i = 0; i < 200 && !(await run.approvals().catch(() => [])).some((a) => a.id === id); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const run = await first.client.start(await compileOk([file]));
    await waitFor(run, 'approval-1');
    await run.approve('approval-1', 'alice');
    await waitFor(run, 'approval-2');
    // The first worker goes away while the publisher waits; what it ended is exported as it stops.
    await first.stop();
    const exportedByFirst = otlp.bodies.length;

    const second = await createOrchWorker({ address: first.address, taskQueue: first.taskQueue, env });
    const running = second.run();
    const client = await OrchClient.connect({ address: first.address, taskQueue: first.taskQueue });
    try {
      const resumed = client.getRun(run.workflowId);
      await resumed.approve('approval-2', 'bob');
      expect(await resumed.result()).toMatchObject({ status: 'succeeded', output: 'published' });
    } finally {
      second.shutdown();
      await running;
      await client.client.connection.close();
      await otlp.close();
    }

    const before = spansIn(otlp.bodies.slice(0, exportedByFirst));
    const spans = spansIn(otlp.bodies);
    const root = spans.find((s) => s.name === 'RunWorkflow:orchRun' && attributesOf(s.attributes).workflowId === run.workflowId)!;
    expect(root).toBeDefined();
    const inTrace = spans.filter((s) => s.traceId === root.traceId);
    const publisher = inTrace.filter((s) => s.name === 'invoke_agent publisher');
    expect(publisher).toHaveLength(1);
    // The publisher's first decisions were exported by the first worker, under the span the second one ended.
    const earlyDecisions = before.filter((s) => s.traceId === root.traceId && s.name.startsWith('policy ') && attributesOf(s.attributes)['orch.agent'] === 'publisher');
    expect(earlyDecisions.map((s) => attributesOf(s.attributes)['orch.policy.verdict']).sort()).toEqual(['allow', 'approval_required']);
    expect(earlyDecisions.every((s) => s.parentSpanId === publisher[0]!.spanId)).toBe(true);
    const waits = inTrace.filter((s) => s.name === 'wait approval publish-tool').map((s) => ({ ...attributesOf(s.attributes), parent: s.parentSpanId }));
    expect(waits).toMatchObject([
      { 'orch.approval.id': 'approval-1', 'orch.agent': 'editor', 'orch.approval.decided_by': 'alice' },
      { 'orch.approval.id': 'approval-2', 'orch.agent': 'publisher', 'orch.approval.decided_by': 'bob', parent: publisher[0]!.spanId },
    ]);
    // orch's spans all hang together: every parent they name was exported.
    const ids = new Set(inTrace.map((s) => s.spanId));
    const orchSpans = inTrace.filter((s) => /^(invoke_agent|policy|wait) /.test(s.name));
    expect(orchSpans.filter((s) => !ids.has(s.parentSpanId!)).map((s) => s.name)).toEqual([]);
  });
});

describe("a run started from a service's own span", () => {
  it("joins the service's trace: a Temporal client with Temporal's OpenTelemetry client interceptor carries it into the run", async () => {
    const otlp = await startOtlpReceiver();
    const worker = await startHarness({ env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } });
    // The service's own tracing (its SDK, its exporter); the worker's telemetry registered the context manager and propagator it uses.
    const serviceSpans = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(serviceSpans)] });
    const tracer = provider.getTracer('briefs-service');
    const temporal = new Client({ connection: worker.client.client.connection, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] } });
    const orch = new OrchClient({ client: temporal, taskQueue: worker.taskQueue });
    const file = writeOverride([
      mockEndpoint('default', 'svc-model', { solo: [{ text: 'brief' }] }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'solo' }, spec: { model_ref: 'svc-model', prompt: 'go' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'svc-system' }, spec: { agents: ['solo'] } },
    ]);
    const plan = await compileOk([file]);
    let workflowId = '';
    try {
      await tracer.startActiveSpan('POST /briefs', async (span) => {
        const run = await orch.start(plan);
        workflowId = run.workflowId;
        expect((await run.result()).status).toBe('succeeded');
        span.end();
      });
    } finally {
      await worker.stop();
      await otlp.close();
    }
    const request = serviceSpans.getFinishedSpans().find((s) => s.name === 'POST /briefs')!;
    const started = serviceSpans.getFinishedSpans().find((s) => s.name === 'StartWorkflow:orchRun')!;
    expect(started.parentSpanId).toBe(request.spanContext().spanId);
    const spans = spansIn(otlp.bodies);
    const root = spans.find((s) => s.name === 'RunWorkflow:orchRun' && attributesOf(s.attributes).workflowId === workflowId)!;
    expect(root.traceId).toBe(request.spanContext().traceId);
    expect(root.parentSpanId).toBe(started.spanContext().spanId);
    expect(spans.filter((s) => s.name === 'invoke_agent solo').map((s) => s.traceId)).toEqual([request.spanContext().traceId]);
    await provider.shutdown();
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
