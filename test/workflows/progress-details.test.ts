/** The Web UI's current details of a run (workflows/progress-details.ts): a line per agent, costs, and what the run waits for. */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../contract/plan.ts';
import type { AgentProgress, RunProgress } from '../../contract/run-io.ts';
import { emptyTotals } from '../../contract/usage.ts';
import { count, formatUsd, renderProgressMarkdown } from '../../workflows/progress-details.ts';

const plan = {
  system: { name: 'sys' },
  agents: { a: { model: 'priced' }, b: { model: 'free' } },
  models: { priced: { pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 } }, free: { pricing: null } },
} as unknown as Plan;

function agent(over: Partial<AgentProgress> = {}, usage: Partial<AgentProgress['usage']> = {}): AgentProgress {
  return { phase: 'running', activations: 1, step: 2, lastAction: null, lastTool: null, usage: { ...emptyTotals(), ...usage }, ...over };
}

const progress: RunProgress = {
  phase: 'running',
  agents: {
    a: agent({ lastAction: 'called [x](y)' }, { totalTokens: 300, modelCalls: 2, costUsd: 0.0000561, toolCalls: 1 }),
    b: agent({ phase: 'waiting', activations: 0, step: 0 }, { totalTokens: 1, modelCalls: 1 }),
  },
  usage: { ...emptyTotals(), totalTokens: 301, modelCalls: 3, toolCalls: 1, costUsd: 0.0000561 },
};

describe('renderProgressMarkdown', () => {
  it('one list item per agent, pluralized, with cost and cost per call where pricing is known', () => {
    const lines = renderProgressMarkdown(plan, progress).split('\n');
    // Dollar signs escaped: the Web UI's markdown reads two on a line as math.
    expect(lines[0]).toBe('**sys** · running · 301 tokens · 3 model calls · \\$0.0000561 · 1 tool call');
    expect(lines).toContain('- **a** — running · 1 activation · step 2 · 300 tokens · 2 model calls · \\$0.0000561 (\\$0.0000281/call) · 1 tool call · last: called \\[x\\]\\(y\\)');
    expect(lines).toContain('- **b** — waiting · 1 token · 1 model call · cost unknown (no pricing) · 0 tool calls');
    expect(lines.some((line) => line.startsWith('|'))).toBe(false);
  });

  it('says what the run waits for, and the update that decides it', () => {
    const text = renderProgressMarkdown(plan, progress, {
      approvals: [{ id: 'approval-1', agent: 'a', tool: 'publish', arguments: {}, policy: 'AgentPolicy default/p', rule: 'operation_rules[0]', reason: 'needs a human' }],
      budget: { agent: 'b', limit: 'tokens', policy: 'AgentPolicy default/budget', reason: 'over 1000 tokens' },
    });
    expect(text).toContain('**Waiting for approval `approval-1`**: agent **a** calls tool `publish`, required by `AgentPolicy default/p`, rule `operation_rules[0]` — needs a human');
    expect(text).toContain('`decideApproval`');
    expect(text).toContain('"decision": "approve"');
    expect(text).toContain('**Paused on its budget**: agent **b** hit the `tokens` limit of `AgentPolicy default/budget` — over 1000 tokens');
    expect(text).toContain('`resolveBudget`');
    expect(text).toMatch(/"action": "top_up",\n\s+"tokens": 1000,\n\s+"decidedBy"/);
    expect(text).toContain('"action": "wrap_up"');
  });

  it('formats cheap costs without exponents, and counts', () => {
    expect([0, 1e-9, 0.0000561, 0.012345, 0.5, 12.345].map(formatUsd)).toEqual(['$0', '$0.000000001', '$0.0000561', '$0.0123', '$0.5', '$12.35']);
    expect([count(1, 'agent'), count(3, 'agent'), count(0, 'tool call')]).toEqual(['1 agent', '3 agents', '0 tool calls']);
  });
});
