/**
 * The audit trail on a real server: derived from workflow history alone, one event per call
 * and decision, with the agent, the subject and the outcome's code — for a pipeline, a tool
 * run with a refusal, a policy denial and a run that continued as new.
 */
import { describe, expect, it } from 'vitest';
import { auditTrail, fetchAuditTrail, type AuditEvent } from '../../client/audit.ts';
import type { Plan } from '../../contract/plan.ts';
import { activitiesOf } from '../helpers/history.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { compileOk, CORPUS, httpTool, mockEndpoint, writeOverride, type ScriptedStep } from '../helpers/scenario-overrides.ts';

const setup = harnessWithStub();

async function compiled(paths: string[], overrides: object[] = []): Promise<Plan> {
  const plan = await compileOk(paths, overrides.length ? { overrides: [writeOverride(overrides)] } : {});
  return plan!;
}

const ofKind = (trail: AuditEvent[], kind: AuditEvent['kind']) => trail.filter((e) => e.kind === kind);

describe.concurrent('audit trail', () => {
  it('research pipeline: run.started, three model calls in order with their usage, run.completed', async () => {
    const plan = await compiled(['examples/research-pipeline']);
    const run = await setup.harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');

    const trail = await fetchAuditTrail(setup.harness.client, run.workflowId);
    expect(trail.map((e) => e.kind)).toEqual(['run.started', 'model.call', 'model.call', 'model.call', 'run.completed']);
    expect(trail[0]).toMatchObject({ agent: null, subject: 'research-pipeline', outcome: 'succeeded', plan: { system: 'research-pipeline', task: 'research-brief', hash: plan.hash } });

    const models = ofKind(trail, 'model.call');
    expect(models.map((e) => e.agent)).toEqual(['planner', 'researcher', 'writer']);
    for (const event of models) {
      expect(event).toMatchObject({ outcome: 'succeeded', code: null, attempt: 1, subject: plan.models[plan.agents[event.agent!]!.model]!.model });
      expect(event.usage!.totalTokens).toBeGreaterThan(0);
    }
    const sum = (key: 'inputTokens' | 'outputTokens' | 'totalTokens') => models.reduce((total, e) => total + e.usage![key], 0);
    expect({ inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), totalTokens: sum('totalTokens') }).toEqual({
      inputTokens: outcome.usage.total.inputTokens,
      outputTokens: outcome.usage.total.outputTokens,
      totalTokens: outcome.usage.total.totalTokens,
    });
    expect(trail.at(-1)).toMatchObject({ kind: 'run.completed', outcome: 'succeeded', usage: { totalTokens: outcome.usage.total.totalTokens } });

    // Ordered by history event, with ISO times that never go backwards, each stamped with its run.
    const ids = trail.map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const times = trail.map((e) => Date.parse(e.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const event of trail) expect(event.runId).toBe(outcome.runId);

    // The pure function over one fetched history gives the same events.
    const direct = auditTrail(await run.handle.fetchHistory());
    expect(direct.map(({ kind, agent, eventId }) => ({ kind, agent, eventId }))).toEqual(trail.map(({ kind, agent, eventId }) => ({ kind, agent, eventId })));
    // Names and codes only: no prompts, outputs or plans.
    expect(JSON.stringify(trail)).not.toContain('durable execution for AI agents');
  });

  it('a refused undeclared tool, then a declared HTTP tool call that succeeds', async () => {
    const ns = 'default';
    const steps: ScriptedStep[] = [
      { tool_calls: [{ tool: 'undeclared', input: {} }] },
      { tool_calls: [{ tool: 'declared', input: { q: 1 } }] },
      { text: 'done' },
    ];
    const file = writeOverride([
      mockEndpoint(ns, 'scripted', { caller: steps }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'caller', namespace: ns }, spec: { model_ref: 'scripted', prompt: 'call', tools: ['declared'] } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'audit-tools', namespace: ns }, spec: { agents: ['caller'] } },
      httpTool(ns, 'declared', `${setup.stub.url}/tool/declared`),
    ]);
    const run = await setup.harness.client.start(await compiled([file]));
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');

    const trail = await fetchAuditTrail(setup.harness.client, run.workflowId);
    expect(trail.map((e) => e.kind)).toEqual(['run.started', 'model.call', 'tool.refused', 'model.call', 'tool.call', 'model.call', 'run.completed']);
    expect(ofKind(trail, 'tool.refused')).toEqual([
      expect.objectContaining({ agent: 'caller', subject: 'undeclared', outcome: 'refused', code: 'TOOL_NOT_DECLARED' }),
    ]);
    const [toolCall] = ofKind(trail, 'tool.call');
    expect(toolCall).toMatchObject({ agent: 'caller', subject: 'declared', outcome: 'succeeded', code: null, attempt: 1 });
    expect(toolCall!.durationMs).toEqual(expect.any(Number));
    const callTool = activitiesOf(await run.handle.fetchHistory()).find((c) => c.type === 'callTool')!;
    expect(toolCall!.scheduledEventId).toBe(callTool.scheduledEventId);
    expect(toolCall!.durationMs).toBe(callTool.result.durationMs);
  });

  it('04-governance-deny: a policy.denied event naming the agent ends the trail', async () => {
    const plan = await compiled([`${CORPUS}/testing/scenarios/04-governance-deny`], [
      mockEndpoint('default', 'openai-default', { 'rt-gov-analyst-agent': [{ tool_calls: [{ tool: 'rt-gov-search-tool', input: { query: 'governed' } }] }] }),
      httpTool('rt-gov', 'rt-gov-search-tool', `${setup.stub.url}/rt-gov-search-tool`),
    ]);
    const run = await setup.harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome.failure).toMatchObject({ type: 'POLICY_DENIED' });

    const trail = await fetchAuditTrail(setup.harness.client, run.workflowId);
    expect(ofKind(trail, 'tool.call')).toHaveLength(0);
    expect(ofKind(trail, 'run.failed')).toHaveLength(0);
    expect(trail.at(-1)).toMatchObject({ kind: 'policy.denied', agent: 'rt-gov-analyst-agent', outcome: 'denied', code: 'POLICY_DENIED' });
    expect(trail.at(-1)!.usage!.totalTokens).toBe(outcome.usage.total.totalTokens);
  });

  it('a run that continued as new: the trail covers every execution', async () => {
    const TURNS = 40;
    const resource = (kind: string, name: string, spec: object) => ({ apiVersion: 'orch/v1', kind, metadata: { name }, spec });
    const plan = await compiled([
      writeOverride([
        resource('ModelEndpoint', 'scripted', { provider: 'mock', default_model: 'mock-1', mock: { responses: {} } }),
        resource('Agent', 'ping', { model_ref: 'scripted', prompt: 'You are ping.' }),
        resource('Agent', 'pong', { model_ref: 'scripted', prompt: 'You are pong.' }),
        resource('AgentSystem', 'ping-pong', { agents: ['ping', 'pong'], graph: { ping: { next: 'pong' }, pong: { next: 'ping' } } }),
        resource('Task', 'ping-pong-task', { system: 'ping-pong', input: { topic: 'audit' }, max_turns: TURNS }),
      ]),
    ]);
    const run = await setup.harness.client.start(plan, { continueAsNewAfterEvents: 60 });
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.executions).toBeGreaterThan(1);

    // Asked by the latest run id, the trail still starts at the first execution.
    const latest = (await setup.harness.client.client.workflow.getHandle(run.workflowId).describe()).runId;
    expect(latest).not.toBe(run.runId);
    const trail = await fetchAuditTrail(setup.harness.client, run.workflowId, latest);
    expect(ofKind(trail, 'run.started')).toHaveLength(1);
    expect(trail[0]).toMatchObject({ kind: 'run.started', runId: run.runId });
    expect(ofKind(trail, 'run.continued')).toHaveLength(outcome.executions - 1);
    expect(new Set(trail.map((e) => e.runId)).size).toBe(outcome.executions);
    const models = ofKind(trail, 'model.call');
    expect(models).toHaveLength(TURNS);
    expect(models.map((e) => e.agent)).toEqual(Array.from({ length: TURNS }, (_, i) => (i % 2 === 0 ? 'ping' : 'pong')));
    expect(models.reduce((total, e) => total + e.usage!.totalTokens, 0)).toBe(outcome.usage.total.totalTokens);
    // Each continuation names the execution that follows it.
    const continued = ofKind(trail, 'run.continued');
    for (const event of continued) expect(trail.find((e) => e.runId === event.subject)).toBeDefined();
    expect(trail.at(-1)).toMatchObject({ kind: 'run.completed', runId: latest });
  }, 120_000);
});
