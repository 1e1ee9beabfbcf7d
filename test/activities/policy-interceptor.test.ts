/**
 * The worker-side check: an orch activity runs only when what it carries is the plan its
 * run was started with (read from the run's start event), and the decision holds.
 */
import { describe, expect, it, vi } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createPolicyInterceptor, type RunStart } from '../../worker/policy-interceptor.ts';
import type { GateCheck, ModelCallRequest, ToolCallRequest } from '../../contract/activity-io.ts';
import type { Plan } from '../../contract/plan.ts';
import { mcpTool, planMcpServer, planModel } from '../helpers/activity-fixtures.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { agent, globalPolicy, planOf, tool } from '../helpers/plan-builder.ts';

const server = planMcpServer({ id: { namespace: 'default', name: 'fs' }, command: 'npx', args: ['-y', 'server-fs'] });
const fsRead = mcpTool(server, 'read-file');
const lookup = tool('lookup', { endpoint: 'https://tools.example/lookup' });
const remote = planModel({ id: { namespace: 'default', name: 'remote' }, provider: 'openai-compatible', baseUrl: 'https://llm.example/v1', model: 'm' });
const plan: Plan = planOf([agent('a', { tools: ['default/lookup', 'default/fs--read-file'], model: 'default/remote' })], [], {
  tools: { 'default/lookup': lookup, 'default/fs--read-file': fsRead },
  models: { 'default/remote': remote },
  mcpServers: { 'default/fs': server },
});

/** The gate orch's workflow builds (workflows/agent-loop.ts). */
function gate(from: Plan = plan, agentName = 'a'): GateCheck {
  return {
    system: from.system.name,
    task: from.task?.name ?? null,
    agent: agentName,
    agentSpec: { ...from.agents[agentName]!, prompt: '', description: '', outputSchema: null },
    governance: from.governance,
    approval: null,
  };
}

function toolCall(overrides: Partial<ToolCallRequest> = {}): ToolCallRequest {
  return { agent: 'a', step: 1, tool: lookup, mcpServer: null, call: { id: 'c', name: 'lookup', input: {} }, toolKey: 'default/lookup', gate: gate(), ...overrides };
}

function modelCall(overrides: Partial<ModelCallRequest> = {}): ModelCallRequest {
  return { agent: 'a', activation: 1, step: 1, model: remote, system: '', messages: [], tools: [], outputSchema: null, gate: gate(), ...overrides };
}

interface Outcome {
  ran: boolean;
  failure?: ApplicationFailure;
}

async function intercept(
  activityType: string,
  request: unknown,
  options: { start?: RunStart | null | Error; workflowType?: string; interceptor?: ReturnType<typeof createPolicyInterceptor>; runId?: string } = {}
): Promise<Outcome> {
  const workflowType = options.workflowType ?? 'orchRun';
  const start = options.start === undefined ? { workflowType, args: [{ plan }] } : options.start;
  const interceptor =
    options.interceptor ??
    createPolicyInterceptor({ readRunStart: async () => (start instanceof Error ? Promise.reject(start) : start) });
  const env = new MockActivityEnvironment({ activityType, workflowType, workflowExecution: { workflowId: 'w', runId: options.runId ?? 'r' } });
  const { inbound } = interceptor(env.context);
  let ran = false;
  try {
    await inbound!.execute!({ args: [request], headers: {} }, async () => {
      ran = true;
      return 'done';
    });
    return { ran };
  } catch (error) {
    if (!(error instanceof ApplicationFailure)) throw error;
    return { ran, failure: error };
  }
}

function expectRefused(outcome: Outcome, reason?: RegExp) {
  expect(outcome.ran).toBe(false);
  expect(outcome.failure).toMatchObject({ type: 'POLICY_DENIED', nonRetryable: true });
  if (reason) expect(outcome.failure!.message).toMatch(reason);
}

describe('the policy interceptor', () => {
  it('runs a call that is its run’s plan’s, for orchRun and orchDelegate', async () => {
    expect(await intercept('callTool', toolCall())).toEqual({ ran: true });
    expect(await intercept('callModel', modelCall())).toEqual({ ran: true });
    expect(await intercept('listMcpTools', { server })).toEqual({ ran: true });
    const delegate = { workflowType: 'orchDelegate', args: [{ plan, agent: 'a', task: 'x', supervisor: 's', depth: 1 }] };
    expect(await intercept('callTool', toolCall(), { workflowType: 'orchDelegate', start: delegate })).toEqual({ ran: true });
  });

  it('an MCP tool may be called by its server’s spelling of the name, not by another tool’s', async () => {
    const call = (name: string) => toolCall({ tool: { ...fsRead, mcp: { ...fsRead.mcp!, tool: name } }, mcpServer: server, toolKey: 'default/fs--read-file' });
    expect(await intercept('callTool', call('read_file'))).toEqual({ ran: true });
    expectRefused(await intercept('callTool', call('write_file')), /MCP tool it calls/);
  });

  it('refuses a workflow type that is not orch’s, without reading anything', async () => {
    const readRunStart = vi.fn(async () => null);
    expectRefused(await intercept('callTool', toolCall(), { workflowType: 'notOrch', interceptor: createPolicyInterceptor({ readRunStart }) }), /workflow type notOrch/);
    expect(readRunStart).not.toHaveBeenCalled();
  });

  it('refuses a run named orchRun whose start carries no plan (an impostor)', async () => {
    expectRefused(await intercept('callTool', toolCall(), { start: { workflowType: 'orchRun', args: [{ orchTaskQueue: 'q', endpoint: 'https://evil.example' }] } }), /not started with an orch plan/);
    expectRefused(await intercept('callTool', toolCall(), { start: null }));
  });

  it.each([
    ['a tool endpoint of its own', toolCall({ tool: { ...lookup, endpoint: 'https://evil.example/x' } })],
    ['auth of its own', toolCall({ tool: { ...lookup, auth: { profile: 'bearer', secretRef: { namespace: 'default', name: 'tool-token', key: 'value' }, headerName: null, tokenUrl: null, scopes: [] } } })],
    ['a tool key not in the plan', toolCall({ toolKey: 'default/exfil' })],
    ['an agent not in the plan', toolCall({ agent: 'b', gate: { ...gate(), agent: 'b' } })],
    ['a gate with governance of its own', toolCall({ gate: { ...gate(), governance: { policies: [globalPolicy('open')], roles: {}, toolPermissions: [] } } })],
    ['a gate with an agent of its own', toolCall({ gate: { ...gate(), agentSpec: { ...gate().agentSpec, tools: ['default/exfil'] } } })],
    ['no gate', toolCall({ gate: undefined })],
    ['an MCP server of its own', toolCall({ tool: fsRead, toolKey: 'default/fs--read-file', mcpServer: { ...server, args: ['-c', 'curl evil.example'] } })],
  ])('refuses a tool call with %s', async (_label, request) => {
    expectRefused(await intercept('callTool', request), /does not match the run's plan/);
  });

  it('refuses a model call to an endpoint that is not one of the agent’s', async () => {
    expectRefused(await intercept('callModel', modelCall({ model: { ...remote, baseUrl: 'https://evil.example/v1' } })), /model endpoint/);
  });

  it('refuses discovery on a server that is not the plan’s', async () => {
    expectRefused(await intercept('listMcpTools', { server: { ...server, command: 'sh' } }));
  });

  it('still refuses what the plan’s own policy denies', async () => {
    const blocked = { ...plan, governance: { policies: [globalPolicy('no-lookup', { blockedTools: ['lookup'] })], roles: {}, toolPermissions: [] } };
    const outcome = await intercept('callTool', toolCall({ gate: gate(blocked) }), { start: { workflowType: 'orchRun', args: [{ plan: blocked }] } });
    expectRefused(outcome);
    expect(outcome.failure!.message).not.toMatch(/does not match/);
  });

  it('reads each run’s start once; a failed read is retryable and read again', async () => {
    let reads = 0;
    let fail = true;
    const interceptor = createPolicyInterceptor({
      readRunStart: async () => {
        reads++;
        if (fail) throw new Error('unavailable');
        return { workflowType: 'orchRun', args: [{ plan }] };
      },
    });
    const first = await intercept('callTool', toolCall(), { interceptor });
    expect(first.ran).toBe(false);
    expect(first.failure).toMatchObject({ type: 'POLICY_DENIED', nonRetryable: false });
    fail = false;
    expect(await intercept('callTool', toolCall(), { interceptor })).toEqual({ ran: true });
    expect(await intercept('callModel', modelCall(), { interceptor })).toEqual({ ran: true });
    expect(reads).toBe(2);
    expect(await intercept('callTool', toolCall(), { interceptor, runId: 'another-run' })).toEqual({ ran: true });
    expect(reads).toBe(3);
  });
});

describe('blocked endpoints by the addresses their names resolve to', () => {
  const alias = tool('alias', { endpoint: 'https://alias.example/tool/record' });
  const blockedPlan: Plan = planOf([agent('a', { tools: ['default/alias'], model: 'default/remote' })], [], {
    tools: { 'default/alias': alias },
    models: { 'default/remote': remote },
  });
  blockedPlan.governance.policies.push({
    ...globalPolicy('no-record', { blockedTools: ['record'] }),
    blockedToolIdentities: [{ entry: 'record', identities: ['http https://api.internal/tool/record'] }],
  });
  const call = (endpoint = alias.endpoint!) => {
    const calledTool = { ...alias, endpoint };
    return toolCall({ tool: calledTool, call: { id: 'c', name: 'alias', input: {} }, toolKey: 'default/alias', gate: gate(blockedPlan) });
  };
  const withDns = (answers: Record<string, string[]>) => {
    const resolveHost = vi.fn(async (host: string) => answers[host] ?? []);
    const interceptor = createPolicyInterceptor({ readRunStart: async () => ({ workflowType: 'orchRun', args: [{ plan: blockedPlan }] }), resolveHost });
    return { interceptor, resolveHost };
  };

  it('refuses a tool whose host is another name for the blocked host, on the same port and path', async () => {
    const { interceptor } = withDns({ 'api.internal': ['10.0.0.5'], 'alias.example': ['10.0.0.9', '10.0.0.5'] });
    expectRefused(await intercept('callTool', call(), { interceptor }), /reaches https:\/\/api\.internal\/tool\/record/);
  });

  it('a name for a loopback address is the blocked loopback endpoint', async () => {
    const loopbackPlan: Plan = { ...blockedPlan, governance: { ...blockedPlan.governance, policies: [{ ...blockedPlan.governance.policies[0]!, blockedToolIdentities: [{ entry: 'record', identities: ['http http://loopback:8080/tool/record'] }] }] } };
    const resolveHost = async (host: string) => (host === 'vm' ? ['127.0.0.1'] : []);
    const interceptor = createPolicyInterceptor({ readRunStart: async () => ({ workflowType: 'orchRun', args: [{ plan: loopbackPlan }] }), resolveHost });
    const request = toolCall({ tool: { ...alias, endpoint: 'http://vm:8080/tool/record' }, call: { id: 'c', name: 'alias', input: {} }, toolKey: 'default/alias', gate: gate(loopbackPlan) });
    // The plan check compares the carried tool with the plan's, so the plan holds that endpoint too.
    loopbackPlan.tools = { 'default/alias': request.tool };
    expectRefused(await intercept('callTool', request, { interceptor }), /reaches http:\/\/loopback:8080\/tool\/record/);
  });

  it('runs when the names resolve to other addresses, or the path differs', async () => {
    const { interceptor } = withDns({ 'api.internal': ['10.0.0.5'], 'alias.example': ['10.0.0.9'] });
    expect(await intercept('callTool', call(), { interceptor })).toEqual({ ran: true });
    const same = withDns({ 'api.internal': ['10.0.0.5'], 'alias.example': ['10.0.0.5'] });
    blockedPlan.tools['default/alias'] = { ...alias, endpoint: 'https://alias.example/tool/other' };
    try {
      expect(await intercept('callTool', call('https://alias.example/tool/other'), { interceptor: same.interceptor })).toEqual({ ran: true });
    } finally {
      blockedPlan.tools['default/alias'] = alias;
    }
  });

  it('does not resolve anything when no policy blocks an HTTP endpoint', async () => {
    const resolveHost = vi.fn(async () => ['10.0.0.5']);
    const interceptor = createPolicyInterceptor({ readRunStart: async () => ({ workflowType: 'orchRun', args: [{ plan }] }), resolveHost });
    expect(await intercept('callTool', toolCall(), { interceptor })).toEqual({ ran: true });
    expect(resolveHost).not.toHaveBeenCalled();
  });
});
