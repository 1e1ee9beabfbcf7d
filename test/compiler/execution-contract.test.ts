/**
 * The execution contract as the compiler reads it: Orloj's normalization (trimmed, deduplicated
 * lists; defaults), the plan's `contract` only for `profile: contract`, and `tool_sequence`
 * entries checked against the agent's tools (a look-alike refused, an unknown one warned).
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { errorsOf, expectDiagnostic, writeManifests } from './helpers.ts';

const BASE = `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock }
---
apiVersion: orloj.dev/v1
kind: Tool
metadata: { name: lookup }
spec: { type: http, endpoint: "https://example.com/lookup" }
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
`;

async function compileAgent(execution: string) {
  const text = `${BASE}apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: a }
spec:
  model_ref: m
  tools: [lookup]
  execution:
${execution}`;
  const { file } = writeManifests({ file: text });
  return { text, file: file!, ...(await compile([file!])) };
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

describe('the execution contract in the plan', () => {
  it("is Orloj's normalization: lists trimmed and deduplicated (tools ignoring case), defaults non_retryable_error and short_circuit", async () => {
    const { plan, diagnostics } = await compileAgent(`    profile: contract
    tool_sequence: [" lookup ", LOOKUP, ""]
    required_output_markers: ["DONE:", " DONE: ", "done:", ""]
`);
    expect(diagnostics).toEqual([]);
    expect(plan!.agents['a']!.contract).toEqual({
      toolSequence: ['lookup'],
      requiredOutputMarkers: ['DONE:', 'done:'],
      duplicateToolCallPolicy: 'short_circuit',
      onContractViolation: 'non_retryable_error',
    });
  });

  it('is absent for the dynamic profile, whatever else is written: Orloj checks no contract then', async () => {
    const { plan, diagnostics } = await compileAgent(`    profile: dynamic
    tool_sequence: [lookup]
    duplicate_tool_call_policy: deny
`);
    expect(diagnostics).toEqual([]);
    expect(plan!.agents['a']).not.toHaveProperty('contract');
  });

  it('a tool_sequence of only blanks under profile contract is MISSING_FIELD', async () => {
    const { plan, diagnostics } = await compileAgent(`    profile: contract
    tool_sequence: ["  "]
`);
    expect(plan).toBeNull();
    expect(errorsOf(diagnostics).map((d) => [d.code, d.path])).toEqual([['MISSING_FIELD', ['spec', 'execution', 'tool_sequence']]]);
  });

  it('an entry written as the Tool resource, qualified and in another case, is its tool: no diagnostic', async () => {
    const { diagnostics } = await compileAgent(`    profile: contract
    tool_sequence: [Default/Lookup]
`);
    expect(diagnostics).toEqual([]);
  });

  it('an entry that names no tool of the agent: CONTRACT_TOOL_NOT_OFFERED, a warning at the entry', async () => {
    const { plan, diagnostics, text, file } = await compileAgent(`    profile: contract
    tool_sequence: [lookup, ghost-tool]
`);
    expect(plan).not.toBeNull();
    const found = expectDiagnostic(diagnostics, { code: 'CONTRACT_TOOL_NOT_OFFERED', file, ...where(text, 'ghost-tool') });
    expect(found).toMatchObject({ severity: 'warning', path: ['spec', 'execution', 'tool_sequence', 1] });
    expect(found.message).toContain('(lookup)');
  });

  it('an entry that only looks like a tool of the agent (Cyrillic о) is CONFUSABLE_TOOL_NAME: no plan', async () => {
    const { plan, diagnostics, text, file } = await compileAgent(`    profile: contract
    toolSequence:
      - lookup
      - "lооkup"
`);
    expect(plan).toBeNull();
    const found = expectDiagnostic(diagnostics, { code: 'CONFUSABLE_TOOL_NAME', file, ...where(text, '"lооkup"') });
    expect(found).toMatchObject({ severity: 'error', path: ['spec', 'execution', 'tool_sequence', 1] });
    expect(found.message).toContain('U+043E');
  });
});
