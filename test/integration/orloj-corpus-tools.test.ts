/**
 * The Orloj corpus matrix, tool folders: HTTP tools on the local Orloj tool stub, MCP on the
 * real server-everything, governance denials, retries, human approval, each through the
 * OpenAI-compatible provider against a scripted local model that reads the tool results it
 * gets back. Assertions follow Orloj's `real-gate-*` checks: the tool calls made (the audit
 * trail is orch's trace), the stub's hits, and the stub markers reaching the output.
 */
import { expect } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import type { StartRunOptions } from '../../client/orch-client.ts';
import { activitiesOf, historyText } from '../helpers/history.ts';
import { corpusRig, prepare, type CorpusRig } from '../helpers/orloj-corpus.ts';
import { defineMatrix } from '../helpers/orloj-corpus-matrix.ts';
import { STUB_AUTH_KEY } from '../helpers/orloj-tool-stub.ts';
import { callTools, say, steps, type AgentScript, type ModelTurn } from '../helpers/scripted-model.ts';

const rig: CorpusRig = corpusRig();

async function execute(folder: string, scripts: Record<string, AgentScript>, options: { task?: string; start?: StartRunOptions; unofferedTools?: string[] } = {}) {
  const { plans, log } = await prepare(rig, folder, scripts, { tasks: [options.task], ...(options.unofferedTools ? { unofferedTools: options.unofferedTools } : {}) });
  const run = await rig.harness.client.start(plans[0]!, options.start);
  const outcome = await run.result();
  const history = await run.handle.fetchHistory();
  const trail = auditTrail(history);
  return { plan: plans[0]!, log, run, outcome, history, trail, toolCalls: trail.filter((e) => e.kind === 'tool.call') };
}

/** The first match of `pattern` in the tool results the model has seen, or `missing`. */
const evidence = (turn: ModelTurn, pattern: RegExp): string => turn.toolResults.join('\n').match(pattern)?.[0] ?? 'missing';

/** Stub requests to `path` whose JSON body has `goal` (each test uses its own goal). */
const hits = (path: string, goal: string) => rig.stub.hits(path).filter((r) => (r.json as { goal?: unknown } | undefined)?.goal === goal);

const text = (output: unknown) => (typeof output === 'string' ? output : JSON.stringify(output));

defineMatrix('tools', {
  'testing/scenarios/04-governance-deny': async () => {
    const agent = 'rt-gov-analyst-agent';
    const tool = 'rt-gov-search-tool';
    const { outcome, history, log } = await execute('testing/scenarios/04-governance-deny', {
      [agent]: steps(callTools([tool, { query: 'governed' }]), say('should not get here')),
    });
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent, deadLettered: false } });
    // The plan offers the tool; the gate, not the model, refuses it, before anything is sent.
    expect(log.turns.map((t) => t.tools)).toEqual([[tool]]);
    // Its endpoint (https://search.example.invalid/query) is the stub's /query here.
    expect(rig.stub.hits('/query')).toEqual([]);
    expect(activitiesOf(history).filter((c) => c.type === 'callTool')).toEqual([]);
  },

  'testing/scenarios-real/04-tool-call-smoke': async () => {
    const tool = 'rr-real-http-smoke-tool';
    const goal = 'matrix-04-smoke';
    const { outcome, toolCalls, log } = await execute('testing/scenarios-real/04-tool-call-smoke', {
      'rr-real-tool-analyst-agent': steps(callTools([tool, { goal, timestamp_hint: 't0' }]), (turn) =>
        say(`TOOL_USED: yes\nSTUB_ENDPOINT: ${evidence(turn, /TOOL_ENDPOINT=(\w+)/).split('=')[1]}\nHEALTH: ${evidence(turn, /STUB_HEALTH=(\w+)/).split('=')[1]}\nEVIDENCE: ${evidence(turn, /PAYLOAD_OK=\w+/)}`)
      ),
    });
    expect(outcome.status).toBe('succeeded');
    expect(hits('/tool/smoke', goal)).toHaveLength(1);
    expect(toolCalls).toMatchObject([{ agent: 'rr-real-tool-analyst-agent', subject: tool, outcome: 'succeeded' }]);
    const output = text(outcome.output);
    expect(output).toMatch(/TOOL_USED:\s*yes/i);
    expect(output).toContain('STUB_ENDPOINT: smoke');
    expect(output).toContain('HEALTH: healthy');
    expect(output).toContain('EVIDENCE: PAYLOAD_OK=true');
    // As in Orloj, the model is handed the stub's contract result, not its envelope.
    const [heard] = log.of('rr-real-tool-analyst-agent')[1]!.toolResults;
    expect(heard).toContain('TOOL_ENDPOINT=smoke PAYLOAD_OK=true ECHO_GOAL=matrix-04-smoke');
    expect(heard).not.toContain('tool_contract_version');
  },

  'testing/scenarios-real/05-tool-decision': async () => {
    const folder = 'testing/scenarios-real/05-tool-decision';
    const tool = 'rr-real-tool-decision-http-tool';
    const agent = 'rr-real-tool-decision-agent';
    const goal = 'matrix-05-decision';
    // The model decides from the task input, as the prompt tells it to.
    const decide: AgentScript = (turn) => {
      expect(turn.tools).toEqual([tool]);
      if (turn.step === 1 && /requires_external_verification\W+true/.test(turn.input)) return callTools([tool, { goal, claim: 'echo', timestamp_hint: 't0' }]);
      if (turn.toolResults.length > 0) return say(`TOOL_USED: yes\nEVIDENCE: ${evidence(turn, /EVIDENCE_TOKEN=[\w-]+/)}\nFINAL_ANSWER: verified`);
      return say('TOOL_USED: no\nEVIDENCE: self-contained-input\nFINAL_ANSWER: alpha+beta+gamma=10');
    };
    const [use, noUse] = await Promise.all([execute(folder, { [agent]: decide }, { task: 'rr-tool-use-task' }), execute(folder, { [agent]: decide }, { task: 'rr-tool-no-use-task' })]);
    expect(use.outcome.status).toBe('succeeded');
    expect(use.outcome.usage.total.toolCalls).toBeGreaterThanOrEqual(1);
    expect(use.toolCalls).toMatchObject([{ subject: tool, outcome: 'succeeded' }]);
    expect(text(use.outcome.output)).toMatch(/TOOL_USED:\s*yes/i);
    expect(text(use.outcome.output)).toContain('EVIDENCE: EVIDENCE_TOKEN=external-check');
    expect(hits('/tool/decision', goal)).toHaveLength(1);

    expect(noUse.outcome.status).toBe('succeeded');
    expect(noUse.outcome.usage.total.toolCalls).toBe(0);
    expect(noUse.toolCalls).toEqual([]);
    expect(text(noUse.outcome.output)).toMatch(/TOOL_USED:\s*no/i);
    expect(text(noUse.outcome.output)).toMatch(/EVIDENCE:\s*self-contained-input/i);
  },

  'testing/scenarios-real/08-tool-auth-and-contract': async () => {
    const tool = 'rr-real-http-auth-tool';
    const goal = 'matrix-08-auth';
    // The agent's execution contract (tool_sequence [the auth tool], required markers): the
    // scripted model follows it, so the run holds with the contract enforced or observed.
    const { plan, outcome, history, trail, toolCalls } = await execute('testing/scenarios-real/08-tool-auth-and-contract', {
      'rr-real-tool-auth-agent': steps(callTools([tool, { goal, timestamp_hint: 't0' }]), (turn) =>
        say(`AUTH_PATH: ok\nCONTRACT_PATH: ok\nEVIDENCE: ${evidence(turn, /AUTH_STATUS=\w+/)}`)
      ),
    });
    expect(outcome.status).toBe('succeeded');
    const requests = hits('/tool/auth', goal);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers['x-stub-key']).toBe(STUB_AUTH_KEY);
    expect(toolCalls).toMatchObject([{ subject: tool, outcome: 'succeeded' }]);
    expect(outcome.usage.total.toolErrors).toBe(0);
    for (const marker of ['AUTH_PATH: ok', 'CONTRACT_PATH: ok', 'EVIDENCE: AUTH_STATUS=ok']) expect(text(outcome.output)).toContain(marker);
    expect(historyText(history)).not.toContain(STUB_AUTH_KEY);
    // The contract (observe) was met: nothing recorded against it.
    expect(plan.agents['rr-real-tool-auth-agent']!.contract).toMatchObject({ toolSequence: [tool], requiredOutputMarkers: ['AUTH_PATH:', 'CONTRACT_PATH:', 'EVIDENCE:'], onContractViolation: 'observe' });
    expect(trail.filter((e) => e.kind === 'contract.observed')).toEqual([]);
  },

  'testing/scenarios-real/09-governance-real-deny': async () => {
    const tool = 'rr-real-governed-smoke-tool';
    const agent = 'rr-real-gov-deny-agent';
    const goal = 'matrix-09-deny';
    const { outcome, history, trail, log } = await execute('testing/scenarios-real/09-governance-real-deny', {
      [agent]: steps(callTools([tool, { goal, timestamp_hint: 't0' }]), say('DENIED: yes')),
    });
    expect(outcome.status).not.toBe('succeeded');
    expect(outcome.failure).toMatchObject({ type: 'POLICY_DENIED', agent });
    expect(trail.filter((e) => e.kind === 'policy.denied')).toMatchObject([{ agent, code: 'POLICY_DENIED' }]);
    // Zero successful tool calls: none scheduled, none reached the stub.
    expect(activitiesOf(history).filter((c) => c.type === 'callTool')).toEqual([]);
    expect(trail.filter((e) => e.kind === 'tool.call' && e.outcome === 'succeeded')).toEqual([]);
    expect(hits('/tool/smoke', goal)).toEqual([]);
    expect(log.turns[0]!.tools).toEqual([tool]);
  },

  'testing/scenarios-real/10-tool-retry-recovery': async () => {
    const tool = 'rr-real-http-retry-tool';
    const args = { retry_case: 'matrix-10', timestamp_hint: 't0' };
    // max_attempts 1: the failure goes back to the model, which calls again with the same body.
    const { outcome, toolCalls } = await execute('testing/scenarios-real/10-tool-retry-recovery', {
      'rr-real-tool-retry-agent': steps(callTools([tool, args]), callTools([tool, args]), (turn) =>
        say(`RECOVERY_STATUS: ${evidence(turn, /RETRY_RESULT=\w+/).split('=')[1]}\nEVIDENCE: ${evidence(turn, /ATTEMPT=\d+/)}`)
      ),
    });
    expect(outcome.status).toBe('succeeded');
    expect(rig.stub.hits('/tool/retry-once').filter((r) => (r.json as typeof args).retry_case === args.retry_case)).toHaveLength(2);
    expect(outcome.usage.total).toMatchObject({ toolCalls: 2, toolErrors: 1 });
    expect(toolCalls.map((e) => e.outcome)).toEqual(['failed', 'succeeded']);
    expect(text(outcome.output)).toContain('RECOVERY_STATUS: recovered');
    expect(text(outcome.output)).toContain('ATTEMPT=2');
  },

  'testing/scenarios-real/13-multi-tool-select': async () => {
    const folder = 'testing/scenarios-real/13-multi-tool-select';
    const [lookup, calculate, smoke] = ['rr-real-multi-lookup-tool', 'rr-real-multi-calculate-tool', 'rr-real-multi-smoke-tool'] as const;
    const select: AgentScript = (turn) => {
      expect(turn.tools).toEqual([lookup, calculate, smoke]);
      const type = turn.input.match(/task_type\W+(lookup_and_calculate|lookup|calculate)/)?.[1];
      const goal = `matrix-13-${type}`;
      if (turn.step === 1) {
        const calls: Array<[string, unknown]> = [];
        if (type !== 'calculate') calls.push([lookup, { query: 'widget-A', goal }]);
        if (type !== 'lookup') calls.push([calculate, { expression: '1250 * 12 + 500', goal }]);
        return callTools(...calls);
      }
      return say(`TASK_TYPE: ${type}\nEVIDENCE: ${turn.toolResults.join(' ').match(/TOP_RESULT=[\w-]+|COMPUTED_RESULT=\d+/g)?.join(', ')}`);
    };
    const tasks = { 'rr-multi-tool-lookup-task': 'lookup', 'rr-multi-tool-calculate-task': 'calculate', 'rr-multi-tool-both-task': 'lookup_and_calculate' };
    const runs = await Promise.all(Object.keys(tasks).map((task) => execute(folder, { 'rr-real-multi-tool-agent': select }, { task })));
    const used = runs.map((r) => r.toolCalls.map((e) => e.subject).sort());
    expect(runs.map((r) => r.outcome.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(used).toEqual([[lookup], [calculate], [calculate, lookup]]);
    expect(runs.map((r) => text(r.outcome.output).match(/EVIDENCE: .*/)?.[0])).toEqual([
      'EVIDENCE: TOP_RESULT=item-7842',
      'EVIDENCE: COMPUTED_RESULT=42',
      'EVIDENCE: TOP_RESULT=item-7842, COMPUTED_RESULT=42',
    ]);
    expect(hits('/tool/smoke', 'matrix-13-lookup')).toEqual([]);
    for (const type of Object.values(tasks)) {
      expect(hits('/tool/lookup', `matrix-13-${type}`)).toHaveLength(type === 'calculate' ? 0 : 1);
      expect(hits('/tool/calculate', `matrix-13-${type}`)).toHaveLength(type === 'lookup' ? 0 : 1);
    }
  },

  'testing/scenarios-real/14-mcp-tool-smoke': async () => {
    const [echo, sum] = ['rr-real-mcp-everything--echo', 'rr-real-mcp-everything--get-sum'] as const;
    // A tool the filter left out, asked for anyway: refused, never sent to the server.
    const filtered = 'rr-real-mcp-everything--get-env';
    const { plan, outcome, history, log, trail, toolCalls } = await execute('testing/scenarios-real/14-mcp-tool-smoke', {
      'rr-real-mcp-tool-agent': steps(callTools([echo, { message: 'mcp-smoke-test-marker' }], [sum, { a: 17, b: 25 }], [filtered, {}]), (turn) =>
        say(`ECHO_RESULT: ${evidence(turn, /mcp-smoke-test-marker/)}\nSUM_RESULT: ${evidence(turn, /\b42\b/)}\nMCP_SERVER: rr-real-mcp-everything`)
      ),
    }, { unofferedTools: [filtered] });
    expect(outcome.status).toBe('succeeded');
    // tool_filter leaves exactly two generated tools, and the model is offered exactly those.
    const listing = activitiesOf(history).filter((c) => c.type === 'listMcpTools');
    expect(listing.length).toBeGreaterThanOrEqual(1);
    expect(listing[0]!.result.map((t: { name: string }) => t.name).sort()).toEqual(['echo', 'get-sum']);
    expect(log.turns.map((t) => [...t.tools].sort())).toEqual([
      [echo, sum],
      [echo, sum],
    ]);
    // One step, two calls, run in parallel: the trail has them in the order they finished.
    expect(toolCalls.map((e) => [e.subject, e.outcome]).sort()).toEqual([
      [echo, 'succeeded'],
      [sum, 'succeeded'],
    ]);
    expect(trail.filter((e) => e.kind === 'tool.refused')).toMatchObject([{ subject: filtered, code: 'TOOL_NOT_DECLARED' }]);
    expect(activitiesOf(history).filter((c) => c.type === 'callTool').map((c) => c.input.call.name).sort()).toEqual([echo, sum]);
    expect(Object.values(plan.tools).map((t) => [t.name, t.type])).toEqual([
      [echo, 'mcp'],
      [sum, 'mcp'],
    ]);
    const output = text(outcome.output);
    for (const marker of ['ECHO_RESULT: mcp-smoke-test-marker', 'SUM_RESULT: 42', 'MCP_SERVER:']) expect(output).toContain(marker);
  },

  'testing/scenarios-real/15-hierarchical-incident-tools': async () => {
    const name = (role: string) => `rr-real-hier-tool-${role}-agent`;
    const [lookup, calculate] = ['rr-real-hier-tool-lookup-tool', 'rr-real-hier-tool-calculate-tool'] as const;
    const goal = 'matrix-15';
    const { outcome, toolCalls } = await execute('testing/scenarios-real/15-hierarchical-incident-tools', {
      [name('knowledge-worker')]: steps(callTools([lookup, { query: 'checkout incident', goal }]), (turn) => say(`KNOWLEDGE: ${evidence(turn, /TOP_RESULT=[\w-]+/)}`)),
      [name('analytics-worker')]: steps(callTools([calculate, { expression: '6 * 7', goal }]), (turn) => say(`ANALYTICS: ${evidence(turn, /COMPUTED_RESULT=\d+/)}`)),
      // The editor merges what both branches handed it.
      [name('editor')]: (turn) => say(`MERGED_BRANCHES: knowledge,analytics\nCUSTOMER_SUMMARY: ${turn.input.match(/TOP_RESULT=[\w-]+/)?.[0]} ${turn.input.match(/COMPUTED_RESULT=\d+/)?.[0]}`),
    });
    expect(outcome.status).toBe('succeeded');
    expect(toolCalls.map((e) => [e.agent, e.subject, e.outcome]).sort()).toEqual([
      [name('analytics-worker'), calculate, 'succeeded'],
      [name('knowledge-worker'), lookup, 'succeeded'],
    ]);
    expect(hits('/tool/lookup', goal)).toHaveLength(1);
    expect(hits('/tool/calculate', goal)).toHaveLength(1);
    const editor = outcome.activations.filter((a) => a.agent === name('editor'));
    expect(editor).toHaveLength(1);
    expect(editor[0]!.from.sort()).toEqual([name('analytics-worker'), name('knowledge-worker')]);
    const output = text(outcome.output);
    expect(output.toLowerCase()).toMatch(/merged_branches:.*knowledge.*analytics/);
    expect(output).toMatch(/customer_summary:/i);
    expect(output).toContain('TOP_RESULT=item-7842');
    expect(output).toContain('COMPUTED_RESULT=42');
  },

  'testing/scenarios-real/17-tool-approval-live': async () => {
    const tool = 'rr-real-approval-smoke-tool';
    const agent = 'rr-real-approval-agent';
    const goal = 'matrix-17-approval';
    const { plans } = await prepare(rig, 'testing/scenarios-real/17-tool-approval-live', {
      [agent]: steps(callTools([tool, { goal, timestamp_hint: 't0' }]), (turn) =>
        say(`APPROVAL_FLOW: completed\nEVIDENCE: STUB_ENDPOINT: ${evidence(turn, /TOOL_ENDPOINT=\w+/).split('=')[1]}`)
      ),
    });
    const run = await rig.harness.client.start(plans[0]!);
    // Orloj's WaitingApproval: the run waits on a pending approval, and the tool has not run.
    let pending = await run.approvals().catch(() => []);
    for (let i = 0; i < 200 && pending.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      pending = await run.approvals().catch(() => []);
    }
    expect(pending).toMatchObject([{ agent, tool, arguments: { goal } }]);
    expect(hits('/tool/smoke', goal)).toEqual([]);
    await run.approve(pending[0]!.id, 'orloj-matrix');
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    expect(hits('/tool/smoke', goal)).toHaveLength(1);
    const trail = auditTrail(await run.handle.fetchHistory());
    expect(trail.filter((e) => e.kind === 'tool.call')).toMatchObject([{ subject: tool, outcome: 'succeeded' }]);
    expect(trail.filter((e) => e.kind === 'approval.decided')).toMatchObject([{ outcome: 'allowed' }]);
    expect(text(outcome.output)).toContain('APPROVAL_FLOW: completed');
    expect(text(outcome.output)).toContain('STUB_ENDPOINT: smoke');
  },
});
