/** Agent defaults (Orloj `Agent.Normalize`): max_steps 10, dynamic profile, run_llm_again. */
import type { AgentSpec } from '../resources.ts';
import type { AgentSpecInput } from '../schemas/agent.ts';
import type { Reporter } from './reporter.ts';
import { memoryOperations } from './memory.ts';

const DEFAULT_MAX_STEPS = 10;

/** As Orloj normalizes the contract's lists: trimmed, blanks dropped, the first of each `key` kept. */
function distinct(items: readonly string[], key: (item: string) => string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '' || seen.has(key(item))) continue;
    seen.add(key(item));
    out.push(item);
  }
  return out;
}

export function normalizeAgent(input: AgentSpecInput, report: Reporter): AgentSpec {
  const execution = input.execution ?? {};
  const profile = execution.profile ?? 'dynamic';
  const toolSequence = distinct(execution.tool_sequence ?? [], (tool) => tool.toLowerCase());
  if (profile === 'contract' && toolSequence.length === 0) {
    report('MISSING_FIELD', 'execution.profile "contract" needs a non-empty execution.tool_sequence', ['spec', 'execution', 'tool_sequence'], 'missing');
  }
  const maxSteps = input.limits?.max_steps ?? 0;
  return {
    modelRef: input.model_ref,
    fallbackModelRefs: input.fallback_model_refs ?? [],
    prompt: input.prompt ?? '',
    description: input.description ?? '',
    tools: input.tools ?? [],
    allowedTools: input.allowed_tools ?? [],
    roles: input.roles ?? [],
    memory: input.memory
      ? {
          ref: input.memory.ref ?? null,
          allow: memoryOperations(input.memory.ref ?? null, input.memory.allow ?? [], report),
          type: input.memory.type ?? null,
          provider: input.memory.provider ?? null,
        }
      : null,
    // Orloj: "default 10 when <= 0".
    // Orloj: a timeout of 0 is no timeout.
    limits: { maxSteps: maxSteps > 0 ? maxSteps : DEFAULT_MAX_STEPS, timeoutMs: input.limits?.timeout || null },
    execution: {
      profile,
      toolSequence,
      requiredOutputMarkers: distinct(execution.required_output_markers ?? [], (marker) => marker),
      duplicateToolCallPolicy: execution.duplicate_tool_call_policy ?? 'short_circuit',
      onContractViolation: execution.on_contract_violation ?? 'non_retryable_error',
      toolUseBehavior: execution.tool_use_behavior ?? 'run_llm_again',
      outputSchema: execution.output_schema ?? null,
    },
  };
}
