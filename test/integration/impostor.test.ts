/**
 * The impostor reproducer (shared/repro/impostor), and what an attacker with namespace access
 * can still do, on a real server: orch's worker holds a secret bound to one endpoint; workflows
 * that are not orch's (one borrowing the name `orchRun`) schedule orch's `callTool` on orch's
 * task queue, and an attacker starts orch's own workflow with plans of their own. The stub
 * counts every request: the secret reaches no endpoint but its bound one, and no history.
 */
import { randomUUID } from 'node:crypto';
import { auditTrail } from '../../client/audit.ts';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateCheck, ToolCallRequest } from '../../contract/activity-io.ts';
import type { Plan } from '../../contract/plan.ts';
import { withPlanDefaults } from '../../contract/plan-defaults.ts';
import { historyText } from '../helpers/history.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

const SECRET = `worker-only-secret-${randomUUID()}`;
let stub: RecordingServer;
let harness: Harness;
let impostorConnection: NativeConnection;
let impostor: Worker;
let impostorQueue: string;
let impostorRunning: Promise<void>;

beforeAll(async () => {
  stub = await startRecordingServer({ respond: (request) => ({ body: { ok: true, authorization_seen: request.headers.authorization ?? null } }) });
  harness = await startHarness({
    env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true', ORCH_SECRET_TOOL_TOKEN: SECRET, ORCH_SECRET_TOOL_TOKEN_DESTINATIONS: `${stub.url}/bound` },
  });
  // The impostor's own worker, on its own task queue.
  impostorConnection = await NativeConnection.connect({ address: harness.address });
  impostorQueue = `impostor-${randomUUID()}`;
  impostor = await Worker.create({
    connection: impostorConnection,
    taskQueue: impostorQueue,
    workflowsPath: new URL('../fixtures/workflows/impostor-workflow.ts', import.meta.url).pathname,
  });
  impostorRunning = impostor.run();
}, 60_000);
afterAll(async () => {
  impostor?.shutdown();
  await impostorRunning;
  await impostorConnection?.close();
  await harness?.stop();
  await stub?.close();
});

const requestsTo = (path: string) => stub.requests.filter((request) => request.path === path);

/** One agent `a` whose mock model calls tool `api` (bearer auth from Secret tool-token) at `path`. */
async function toolPlan(path: string): Promise<Plan> {
  return compileOk([
    writeOverride([
      mockEndpoint('default', 'm', { a: [{ tool_calls: [{ tool: 'api', input: { q: 'x' } }] }] }),
      httpTool('default', 'api', `${stub.url}${path}`, { input_schema: { type: 'object' }, auth: { profile: 'bearer', secretRef: 'tool-token' } }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'a' }, spec: { model_ref: 'm', tools: ['api'], limits: { max_steps: 3 } } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: `impostor-${path.slice(1)}` }, spec: { agents: ['a'] } },
    ]),
  ]);
}

/** The request orch's workflow would build for `plan`'s tool, as the impostor forges it. */
function requestFor(plan: Plan, toolOverrides: object = {}): ToolCallRequest {
  const interpreted = withPlanDefaults(plan);
  const gate: GateCheck = {
    system: interpreted.system.name,
    task: null,
    agent: 'a',
    agentSpec: { ...interpreted.agents.a!, prompt: '', description: '', outputSchema: null },
    governance: interpreted.governance,
    approval: null,
  };
  return { agent: 'a', step: 1, tool: { ...interpreted.tools['default/api']!, ...toolOverrides }, mcpServer: null, call: { id: 'c1', name: 'api', input: { hello: 'from the impostor' } }, toolKey: 'default/api', gate };
}

async function impersonate(workflowType: 'orchRun' | 'notOrch', input: { plan?: Plan; request: ToolCallRequest }) {
  const workflowId = `impostor-${workflowType}-${randomUUID()}`;
  const result = await harness.client.client.workflow.execute(workflowType, {
    taskQueue: impostorQueue,
    workflowId,
    args: [{ plan: input.plan, orchTaskQueue: harness.taskQueue, request: input.request }],
  });
  const history = historyText(await harness.client.client.workflow.getHandle(workflowId).fetchHistory());
  return { ...(result as { outcome: string; detail: string }), history };
}

describe('workflows that are not orch runs', () => {
  it('the reproducer: a workflow named orchRun with a forged request and endpoint is refused; nothing is sent', async () => {
    const plan = await toolPlan('/exfil');
    for (const workflowType of ['notOrch', 'orchRun'] as const) {
      const { outcome, detail, history } = await impersonate(workflowType, { request: requestFor(plan) });
      expect(outcome).toBe('REFUSED');
      expect(detail).toMatch(/^POLICY_DENIED: callTool refused on the worker/);
      expect(history).not.toContain(SECRET);
    }
    expect(requestsTo('/exfil')).toHaveLength(0);
  });

  it('an impostor started with a real plan cannot swap in an endpoint of its own', async () => {
    const plan = await toolPlan('/bound');
    const { outcome, detail, history } = await impersonate('orchRun', { plan, request: requestFor(plan, { endpoint: `${stub.url}/exfil` }) });
    expect(outcome).toBe('REFUSED');
    expect(detail).toMatch(/POLICY_DENIED: .*does not match the run's plan/);
    expect(history).not.toContain(SECRET);
    expect(requestsTo('/exfil')).toHaveLength(0);
  });

  it('the boundary: with a plan of its own it can call an endpoint the secret is bound to, with its own arguments, and sees no secret', async () => {
    const before = requestsTo('/bound').length;
    const plan = await toolPlan('/bound');
    const { outcome, detail, history } = await impersonate('orchRun', { plan, request: requestFor(plan) });
    expect(outcome).toBe('EXECUTED');
    expect(requestsTo('/bound').length).toBe(before + 1);
    expect(requestsTo('/bound').at(-1)!.json).toEqual({ hello: 'from the impostor' });
    // The bound endpoint echoed the token; the impostor gets it masked.
    expect(JSON.parse(detail)).toEqual({ ok: true, authorization_seen: 'Bearer ***' });
    expect(history).not.toContain(SECRET);
  });
});

describe('orch runs of an attacker’s plan', () => {
  it('a tool that would send the secret to an endpoint it is not bound to fails SECRET_DESTINATION_DENIED; nothing is sent', async () => {
    const run = await harness.client.start(await toolPlan('/exfil'));
    const outcome = await run.result();
    const history = historyText(await run.handle.fetchHistory());
    expect(history).toContain('SECRET_DESTINATION_DENIED');
    // A refusal to send a secret is the run's denial, not a tool error for the model to work around.
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'SECRET_DESTINATION_DENIED' } });
    expect(auditTrail(await run.handle.fetchHistory()).filter((e) => e.kind === 'policy.denied')).toMatchObject([{ code: 'SECRET_DESTINATION_DENIED' }]);
    expect(requestsTo('/exfil')).toHaveLength(0);
    expect(history).not.toContain(SECRET);
  });

  it('a model endpoint that would get the secret fails the run SECRET_DESTINATION_DENIED; nothing is sent', async () => {
    const plan = await compileOk([
      writeOverride([
        { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'stolen' }, spec: { provider: 'openai-compatible', base_url: `${stub.url}/exfil-model/v1`, default_model: 'x', auth: { secretRef: 'tool-token' } } },
        { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'a' }, spec: { model_ref: 'stolen' } },
        { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'impostor-model' }, spec: { agents: ['a'] } },
      ]),
    ]);
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'SECRET_DESTINATION_DENIED' } });
    expect(stub.requests.filter((request) => request.path.startsWith('/exfil-model'))).toHaveLength(0);
    expect(historyText(await run.handle.fetchHistory())).not.toContain(SECRET);
  });
});
