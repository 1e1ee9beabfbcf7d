/**
 * Orloj's execution contract (`execution.profile: contract`) on the real dev server: the mock
 * provider scripts the model's calls, stub HTTP tools count what reaches them, and the audit
 * trail, read from the run's history alone, shows each violation.
 */
import { describe, expect, it } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import type { Plan } from '../../contract/plan.ts';
import { activitiesOf } from '../helpers/history.ts';
import { harnessWithStub } from '../helpers/orch-harness.ts';
import { compileOk, CORPUS, httpTool, mockEndpoint, writeOverride, type ScriptedStep } from '../helpers/scenario-overrides.ts';

const parts = harnessWithStub();
const ns = 'contract';
let systems = 0;

type Execution = Partial<{
  tool_sequence: string[];
  required_output_markers: string[];
  duplicate_tool_call_policy: 'short_circuit' | 'deny';
  on_contract_violation: 'non_retryable_error' | 'observe';
}>;

function agent(name: string, tools: string[], execution: Execution | null, maxSteps = 4): object {
  return {
    apiVersion: 'orloj.dev/v1',
    kind: 'Agent',
    metadata: { name, namespace: ns },
    spec: { model_ref: 'model', tools, limits: { max_steps: maxSteps }, ...(execution ? { execution: { profile: 'contract', ...execution } } : {}) },
  };
}

/** A plan of `agents` (the first the entry), with `graph`, the scripted model and stub tools `tools`. */
async function planOf(scripts: Record<string, ScriptedStep[]>, agents: object[], tools: string[], graph?: object): Promise<Plan> {
  const name = `contract-system-${++systems}`;
  const names = agents.map((a) => (a as { metadata: { name: string } }).metadata.name);
  return compileOk([
    writeOverride([
      mockEndpoint(ns, 'model', scripts),
      ...tools.map((tool) => httpTool(ns, tool, `${parts.stub.url}/${name}/${tool}`)),
      ...agents,
      { apiVersion: 'orloj.dev/v1', kind: 'AgentSystem', metadata: { name, namespace: ns }, spec: { agents: names, ...(graph ? { graph } : {}) } },
    ]),
  ]);
}

async function run(plan: Plan) {
  const started = await parts.harness.client.start(plan);
  const outcome = await started.result();
  const history = await started.handle.fetchHistory();
  return { outcome, history, trail: auditTrail(history), calls: activitiesOf(history).filter((c) => c.type === 'callTool').map((c) => (c.input.call as { name: string }).name) };
}

const CONTRACT = { tool_sequence: ['lookup', 'fetch'], required_output_markers: ['DONE:'] };

describe('execution.profile contract', () => {
  it('a compliant run succeeds: the tools in another order than written, then the markers; nothing is recorded against it', async () => {
    const plan = await planOf(
      { worker: [{ tool_calls: [{ tool: 'fetch', input: { q: 1 } }] }, { tool_calls: [{ tool: 'lookup', input: { q: 2 } }] }, { text: 'DONE: both' }] },
      [agent('worker', ['lookup', 'fetch'], CONTRACT)],
      ['lookup', 'fetch']
    );
    expect(plan.agents['worker']!.contract).toMatchObject({ toolSequence: ['lookup', 'fetch'], onContractViolation: 'non_retryable_error' });
    const { outcome, trail, calls } = await run(plan);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toBe('DONE: both');
    expect(calls).toEqual(['fetch', 'lookup']);
    expect(trail.filter((e) => e.kind === 'contract.observed' || e.code === 'CONTRACT_VIOLATION')).toEqual([]);
  });

  it('a tool outside the sequence (non_retryable_error): the run fails CONTRACT_VIOLATION before the turn runs anything', async () => {
    const plan = await planOf(
      { worker: [{ tool_calls: [{ tool: 'lookup', input: {} }, { tool: 'other', input: {} }] }] },
      [agent('worker', ['lookup', 'fetch', 'other'], CONTRACT)],
      ['lookup', 'fetch', 'other']
    );
    const { outcome, trail, calls } = await run(plan);
    expect(outcome.status).toBe('failed');
    expect(outcome.failure).toMatchObject({ type: 'CONTRACT_VIOLATION', agent: 'worker' });
    expect(outcome.failure!.message).toContain('(tool_not_in_sequence): expected a tool of tool_sequence ["lookup", "fetch"]; called other');
    expect(calls).toEqual([]);
    expect(trail.filter((e) => e.code === 'CONTRACT_VIOLATION')).toMatchObject([{ kind: 'policy.denied', agent: 'worker', outcome: 'denied' }]);
  });

  it('observed, the tool outside the sequence runs and the audit shows the violation', async () => {
    const plan = await planOf(
      { worker: [{ tool_calls: [{ tool: 'other', input: {} }] }, { tool_calls: [{ tool: 'lookup', input: {} }, { tool: 'fetch', input: {} }] }, { text: 'DONE:' }] },
      [agent('worker', ['lookup', 'fetch', 'other'], { ...CONTRACT, on_contract_violation: 'observe' })],
      ['lookup', 'fetch', 'other']
    );
    const { outcome, trail, calls } = await run(plan);
    expect(outcome.status).toBe('succeeded');
    expect(calls).toEqual(['other', 'lookup', 'fetch']);
    expect(trail.filter((e) => e.kind === 'contract.observed')).toMatchObject([
      { agent: 'worker', subject: 'other', outcome: 'allowed', code: 'CONTRACT_VIOLATION', rule: 'tool_not_in_sequence' },
    ]);
  });

  it('a missing marker: the answer is not the end, the model is asked again; never given, it is a warning at max_steps', async () => {
    const told = await planOf(
      { worker: [{ tool_calls: [{ tool: 'lookup', input: {} }, { tool: 'fetch', input: {} }] }, { text: 'all good' }, { text: 'DONE: all good' }] },
      [agent('worker', ['lookup', 'fetch'], CONTRACT)],
      ['lookup', 'fetch']
    );
    const first = await run(told);
    expect(first.outcome.status).toBe('succeeded');
    expect(first.outcome.output).toBe('DONE: all good');
    const models = activitiesOf(first.history).filter((c) => c.type === 'callModel');
    expect(models).toHaveLength(3);
    expect((models[2]!.input.messages as { role: string; content?: string }[]).at(-1)).toMatchObject({ role: 'user', content: expect.stringContaining('"DONE:"') });

    // The marker only in a tool argument, then split across two outputs: never met.
    const never = await planOf(
      { worker: [{ text: 'DO', tool_calls: [{ tool: 'lookup', input: { note: 'DONE:' } }, { tool: 'fetch', input: { note: 'DONE:' } }] }, { text: 'NE:' }, { text: 'nope' }, { text: 'nope' }] },
      [agent('worker', ['lookup', 'fetch'], CONTRACT)],
      ['lookup', 'fetch']
    );
    const second = await run(never);
    expect(second.outcome.status).toBe('succeeded');
    expect(second.outcome.activations[0]).toMatchObject({ stoppedBy: 'max_steps', contract: [{ kind: 'warning', rule: 'output_markers_missing' }] });
    expect(second.trail.filter((e) => e.kind === 'contract.observed')).toMatchObject([{ agent: 'worker', code: null, rule: 'output_markers_missing' }]);
  });

  it('deny: a repeat of a tool that succeeded ends the run (non_retryable_error), or is refused and audited (observe)', async () => {
    const script = { worker: [{ tool_calls: [{ tool: 'lookup', input: { q: 1 } }] }, { tool_calls: [{ tool: 'lookup', input: { q: 2 } }, { tool: 'fetch', input: {} }] }, { text: 'DONE:' }] };
    const failed = await run(await planOf(script, [agent('worker', ['lookup', 'fetch'], { ...CONTRACT, duplicate_tool_call_policy: 'deny' })], ['lookup', 'fetch']));
    expect(failed.outcome.failure).toMatchObject({ type: 'CONTRACT_VIOLATION', agent: 'worker' });
    expect(failed.outcome.failure!.message).toContain('(duplicate_tool_call)');
    expect(failed.calls).toEqual(['lookup', 'fetch']);

    const observed = await run(
      await planOf(script, [agent('worker', ['lookup', 'fetch'], { ...CONTRACT, duplicate_tool_call_policy: 'deny', on_contract_violation: 'observe' })], ['lookup', 'fetch'])
    );
    expect(observed.outcome.status).toBe('succeeded');
    expect(observed.calls).toEqual(['lookup', 'fetch']);
    expect(observed.trail.filter((e) => e.kind === 'tool.refused')).toMatchObject([{ agent: 'worker', subject: 'lookup', code: 'CONTRACT_VIOLATION', outcome: 'refused' }]);
    expect(observed.trail.filter((e) => e.kind === 'contract.observed')).toMatchObject([{ rule: 'duplicate_tool_call', subject: 'lookup' }]);
  });

  it('the sequence unfinished at max_steps: CONTRACT_VIOLATION, or observed and the run goes on', async () => {
    const script = { worker: [{ tool_calls: [{ tool: 'lookup', input: {} }] }, { text: 'DONE:' }] };
    const failed = await run(await planOf(script, [agent('worker', ['lookup', 'fetch'], CONTRACT, 2)], ['lookup', 'fetch']));
    expect(failed.outcome.failure).toMatchObject({ type: 'CONTRACT_VIOLATION', agent: 'worker' });
    expect(failed.outcome.failure!.message).toContain('expected "fetch" before max_steps 2');
    const observed = await run(await planOf(script, [agent('worker', ['lookup', 'fetch'], { ...CONTRACT, on_contract_violation: 'observe' }, 2)], ['lookup', 'fetch']));
    expect(observed.outcome.status).toBe('succeeded');
    expect(observed.trail.filter((e) => e.kind === 'contract.observed')).toMatchObject([{ rule: 'tool_sequence_incomplete', code: 'CONTRACT_VIOLATION' }]);
  });

  it('a contract agent inside a parallel fan-out: its violation fails the run; compliant, the fan-out completes', async () => {
    const graph = { planner: { edges: [{ to: 'checker' }, { to: 'writer' }] } };
    const agents = (onViolation: 'non_retryable_error' | 'observe') => [
      agent('planner', [], null),
      agent('checker', ['lookup', 'fetch'], { tool_sequence: ['lookup'], required_output_markers: ['CHECKED:'], on_contract_violation: onViolation }),
      agent('writer', ['fetch'], null),
    ];
    const violating = {
      planner: [{ text: 'plan' }],
      checker: [{ tool_calls: [{ tool: 'fetch', input: {} }] }],
      writer: [{ text: 'written' }],
    };
    const failed = await run(await planOf(violating, agents('non_retryable_error'), ['lookup', 'fetch'], graph));
    expect(failed.outcome.failure).toMatchObject({ type: 'CONTRACT_VIOLATION', agent: 'checker' });
    expect(failed.calls).toEqual([]);

    const compliant = { ...violating, checker: [{ tool_calls: [{ tool: 'lookup', input: {} }] }, { text: 'CHECKED: fine' }] };
    const ok = await run(await planOf(compliant, agents('non_retryable_error'), ['lookup', 'fetch'], graph));
    expect(ok.outcome.status).toBe('succeeded');
    expect(ok.outcome.output).toEqual({ checker: 'CHECKED: fine', writer: 'written' });
  });

  it('a look-alike of the sequence tool is another tool: calling it is the violation, and it never runs', async () => {
    const cyrillic = 'lооkup';
    const plan = await planOf({ worker: [{ tool_calls: [{ tool: cyrillic, input: {} }] }] }, [agent('worker', ['lookup', cyrillic], { tool_sequence: ['lookup'] })], ['lookup', cyrillic]);
    const { outcome, calls } = await run(plan);
    expect(outcome.failure).toMatchObject({ type: 'CONTRACT_VIOLATION' });
    expect(outcome.failure!.message).toContain(`called ${cyrillic}, which only looks like lookup`);
    expect(calls).toEqual([]);
  });

  it("the corpus's contract agent (08-tool-auth-and-contract, observe): compliant it succeeds; skipping its tool is observed at max_steps", async () => {
    const ns08 = 'rr-real-tool-auth';
    const folder = `${CORPUS}/testing/scenarios-real/08-tool-auth-and-contract`;
    const plan08 = (script: ScriptedStep[]) =>
      compileOk([folder], {
        overrides: [writeOverride([mockEndpoint(ns08, 'rr-real-model-default', { 'rr-real-tool-auth-agent': script }), httpTool(ns08, 'rr-real-http-auth-tool', `${parts.stub.url}/08/auth`)])],
      });
    const compliant = await run(
      await plan08([{ tool_calls: [{ tool: 'rr-real-http-auth-tool', input: { goal: 'g', timestamp_hint: 't0' } }] }, { text: 'AUTH_PATH: ok\nCONTRACT_PATH: ok\nEVIDENCE: AUTH_STATUS=ok' }])
    );
    expect(compliant.outcome.status).toBe('succeeded');
    expect(compliant.calls).toEqual(['rr-real-http-auth-tool']);
    expect(compliant.trail.filter((e) => e.kind === 'contract.observed')).toEqual([]);

    const skipping = await run(await plan08(Array(4).fill({ text: 'AUTH_PATH: ok\nCONTRACT_PATH: ok\nEVIDENCE: none' })));
    expect(skipping.outcome.status).toBe('succeeded');
    expect(skipping.calls).toEqual([]);
    // Asked again each time (the contract is not met), then observed at max_steps 4.
    expect(activitiesOf(skipping.history).filter((c) => c.type === 'callModel')).toHaveLength(4);
    expect(skipping.trail.filter((e) => e.kind === 'contract.observed')).toMatchObject([
      { agent: 'rr-real-tool-auth-agent', rule: 'tool_sequence_incomplete', code: 'CONTRACT_VIOLATION', reason: 'step 4: expected "rr-real-http-auth-tool" before max_steps 4; max_steps reached first' },
    ]);
  });

  it('a huge output with the marker at its very end completes the contract; the record keeps only a preview', async () => {
    const huge = `${'x'.repeat(200_000)}\nDONE: at last`;
    const plan = await planOf({ worker: [{ tool_calls: [{ tool: 'lookup', input: {} }, { tool: 'fetch', input: {} }] }, { text: huge }] }, [agent('worker', ['lookup', 'fetch'], CONTRACT)], ['lookup', 'fetch']);
    const { outcome } = await run(plan);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toBe(huge);
    expect(outcome.activations[0]).toMatchObject({ steps: 2, stoppedBy: 'answer', outputTruncated: true });
  });

  it('a contract agent as a delegate: its violation is the run\'s CONTRACT_VIOLATION, naming the delegate', async () => {
    const plan = await planOf(
      {
        lead: [{ tool_calls: [{ tool: 'delegate--checker', input: { task: 'check it' } }] }, { text: 'lead done' }],
        checker: [{ tool_calls: [{ tool: 'fetch', input: {} }] }],
      },
      [agent('lead', [], null), agent('checker', ['lookup', 'fetch'], { tool_sequence: ['lookup'] })],
      ['lookup', 'fetch'],
      { lead: { delegates: ['checker'] } }
    );
    const { outcome, calls } = await run(plan);
    expect(outcome.failure).toMatchObject({ type: 'CONTRACT_VIOLATION', agent: 'checker' });
    expect(calls).toEqual([]);
  });
});
