/**
 * Orloj fields orch validates but does not act on: each one written is a located
 * ACCEPTED_NOT_ENFORCED warning (never a silent accept), and the kind orch does not act on
 * (ToolApproval) is validated all the same, so a malformed one is an error, as is a malformed Worker.
 */
import { describe, expect, it } from 'vitest';
import { validate } from '../../compiler/index.ts';
import type { Diagnostic } from '../../compiler/diagnostics.ts';
import { errorsOf, expectDiagnostic, ORLOJ_CORPUS, writeManifests } from './helpers.ts';

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): { line: number; column: number } {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`"${needle}" is not in the manifest`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const BASE = `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock }
---
apiVersion: orloj.dev/v1
kind: Tool
metadata: { name: search }
spec: { type: http, endpoint: "https://example.com/search" }
`;

async function warningsFor(text: string): Promise<{ file: string; diagnostics: Diagnostic[] }> {
  const { file } = writeManifests({ file: `${BASE}---\n${text}` });
  const { diagnostics } = await validate([file!]);
  return { file: file!, diagnostics };
}

function notEnforced(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.code === 'ACCEPTED_NOT_ENFORCED');
}

describe('fields orch accepts but does not enforce', () => {
  it('what orch does enforce stays quiet: the execution contract (profile, tool_sequence, markers, on_contract_violation, deny), given in any spelling', async () => {
    const { diagnostics } = await warningsFor(`apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: a }
spec:
  model_ref: m
  tools: [search]
  execution:
    profile: contract
    toolSequence: [search]
    required_output_markers: ["DONE:"]
    on_contract_violation: observe
    duplicate_tool_call_policy: deny
`);
    expect(diagnostics).toEqual([]);
  });

  it('what orch does enforce stays quiet: the dynamic profile, short_circuit, tool_use_behavior, limits', async () => {
    const { diagnostics } = await warningsFor(`apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: a }
spec:
  model_ref: m
  tools: [search]
  limits: { max_steps: 3, timeout: 300ms }
  execution: { profile: dynamic, duplicate_tool_call_policy: short_circuit, tool_use_behavior: stop_on_first_tool }
`);
    expect(diagnostics).toEqual([]);
  });

  it('limits.timeout 0 is no timeout, as in Orloj; 300ms is kept to the millisecond; 1ns is not rounded to none', async () => {
    const agent = (name: string, timeout: string) => `apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: ${name} }
spec: { model_ref: m, limits: { timeout: ${timeout} } }
`;
    const { file } = writeManifests({ file: `${BASE}---\n${agent('none', '0s')}---\n${agent('short', '300ms')}---\n${agent('instant', '1ns')}` });
    const { resources, diagnostics } = await validate([file!]);
    expect(diagnostics).toEqual([]);
    expect(resources.agents.map((a) => [a.name, a.spec.limits.timeoutMs])).toEqual([
      ['none', null],
      ['short', 300],
      // Go reads 1ns as a timeout that has passed at once; it stays one (1 ms), not "none".
      ['instant', 1],
    ]);
  });

  it('message_retry jitter warns; requirements (enforced: routing) and priority (informational in Orloj too) do not', async () => {
    const task = `apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: m }
---
apiVersion: orloj.dev/v1
kind: Task
metadata: { name: t }
spec:
  system: s
  priority: high
  requirements: { region: eu, gpu: true }
  message_retry: { max_attempts: 2, jitter: full }
`;
    const { file, diagnostics } = await warningsFor(task);
    expect(notEnforced(diagnostics).map((d) => d.path)).toEqual([['spec', 'message_retry', 'jitter']]);
    expectDiagnostic(diagnostics, { code: 'ACCEPTED_NOT_ENFORCED', file, ...where(`${BASE}---\n${task}`, 'full }') });
  });

  it('runtime.isolation_mode other than none, an edge policy, a model endpoint auth.profile', async () => {
    const text = `apiVersion: orloj.dev/v1
kind: Tool
metadata: { name: boxed }
spec:
  endpoint: "https://example.com/boxed"
  runtime: { isolation_mode: container, timeout: 5s, retry: { max_attempts: 3, jitter: equal } }
---
apiVersion: orloj.dev/v1
kind: Tool
metadata: { name: plain }
spec:
  endpoint: "https://example.com/plain"
  runtime: { isolation_mode: none, retry: { jitter: none } }
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: { name: s }
spec:
  agents: [firstAgent, b]
  graph:
    firstAgent:
      edges:
        - to: b
          labels: { lane: fast }
          policy: { max_parallel: "2" }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: firstAgent }
spec: { model_ref: m }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: b }
spec: { model_ref: m }
---
apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: keyed }
spec: { provider: mock, auth: { profile: bearer } }
`;
    const { file, diagnostics } = await warningsFor(text);
    const whole = `${BASE}---\n${text}`;
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(notEnforced(diagnostics).map((d) => d.path)).toEqual([
      ['spec', 'runtime', 'isolation_mode'],
      ['spec', 'runtime', 'retry', 'jitter'],
      ['spec', 'graph', 'firstAgent', 'edges', 0, 'policy'],
      ['spec', 'auth', 'profile'],
    ]);
    expectDiagnostic(diagnostics, { code: 'ACCEPTED_NOT_ENFORCED', file, ...where(whole, 'container') });
    expectDiagnostic(diagnostics, { code: 'ACCEPTED_NOT_ENFORCED', file, ...where(whole, 'equal') });
    expectDiagnostic(diagnostics, { code: 'ACCEPTED_NOT_ENFORCED', file, ...where(whole, 'policy:') });
    expectDiagnostic(diagnostics, { code: 'ACCEPTED_NOT_ENFORCED', file, ...where(whole, 'profile: bearer') });
  });
});

describe('Worker (acted on: routing) and ToolApproval (validated, then not acted on)', () => {
  it('a valid Worker is quiet: orch worker --worker serves with its capabilities', async () => {
    const worker = `apiVersion: orloj.dev/v1
kind: Worker
metadata: { name: w }
spec: { region: eu, max_concurrent_tasks: 2, capabilities: { gpu: true, supported_models: [gpt-4o] } }
`;
    const { diagnostics } = await warningsFor(worker);
    expect(diagnostics).toEqual([]);
  });

  it('a malformed Worker is an error where it is wrong', async () => {
    const worker = `apiVersion: orloj.dev/v1
kind: Worker
metadata: { name: w }
spec:
  region: eu
  max_concurrent_tasks: many
  capabilities: { gpus: 2 }
`;
    const { file, diagnostics } = await warningsFor(worker);
    const whole = `${BASE}---\n${worker}`;
    expect(errorsOf(diagnostics).map((d) => d.code).sort()).toEqual(['INVALID_TYPE', 'UNKNOWN_FIELD']);
    expectDiagnostic(diagnostics, { code: 'INVALID_TYPE', file, ...where(whole, 'many') });
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_FIELD', file, ...where(whole, 'gpus') });
  });

  it('a ToolApproval needs task_ref and tool, and a ttl that is a duration', async () => {
    const approval = `apiVersion: orloj.dev/v1
kind: ToolApproval
metadata: { name: ok-publish }
spec:
  task_ref: t
  ttl: soon
`;
    const { file, diagnostics } = await warningsFor(approval);
    const whole = `${BASE}---\n${approval}`;
    expect(errorsOf(diagnostics).map((d) => [d.code, d.path])).toEqual([
      ['MISSING_FIELD', ['spec', 'tool']],
      ['INVALID_VALUE', ['spec', 'ttl']],
    ]);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, ...where(whole, 'soon') });
  });

  it("the corpus's Worker validates, without a word", async () => {
    const { diagnostics, resources } = await validate([`${ORLOJ_CORPUS}/examples/resources/workers`]);
    expect(diagnostics).toEqual([]);
    expect(resources.workers.map((w) => [w.key, w.spec])).toEqual([['default/worker-a', { region: 'default', gpu: false, supportedModels: ['gpt-4o'], maxConcurrentTasks: 1 }]]);
  });
});
