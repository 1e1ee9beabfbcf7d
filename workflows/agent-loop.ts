/**
 * One agent activation: call the model, run the tools it asked for, and repeat until it
 * answers without tool calls or reaches `maxSteps`. Pure over the Effects port.
 *
 * Every tool call passes one gate here before anything is scheduled: the tool must be one
 * the agent declares, policy must allow it, and its arguments must fit its input schema.
 * A refused or invalid call goes back to the model as a tool error and is never executed.
 */
import { delegateToolName, type JsonObject, type JsonValue, type MemoryToolName, type Plan, type PlanAgent, type PlanModel } from '../contract/plan.ts';
import { embeddedTexts, isMemoryCommand, parseMemoryCall } from '../validation/memory/memory-calls.ts';
import type { ChildLimits } from '../policies/limits.ts';
import type { ChatMessage, GateCheck, ModelCallResult, StoredTranscript, ToolCall, ToolCallResult, ToolDeclaration } from '../contract/activity-io.ts';
import { checkDelegateCall, checkMemoryCall, checkModelCall, checkToolCall, onViolation } from '../policies/gate.ts';
import { memoryToolDeclaration } from './memory-tools.ts';
import {
  addBudget,
  budgetLimits,
  delegationShare,
  endpointOutputCap,
  onBudgetExhausted,
  embeddingTokenBound,
  reserveMemoryCall,
  reserveModelCall,
  reserveToolCall,
  shareReserve,
  utf8Bytes,
  withTopUps,
  type BudgetDecision,
  type BudgetLimits,
  type BudgetState,
} from '../policies/budget.ts';
import type { ToolCatalog } from './mcp-catalog.ts';
import type { BudgetRequest, Refusal } from '../contract/run-io.ts';
import type { Effects } from './effects.ts';
import { activitySummary, modelCallWhat } from '../contract/activity-summaries.ts';
import { CallFailure, GOVERNANCE_FAILURES, RunFailure } from './run-failure.ts';
import type { UsageLedger } from './usage-ledger.ts';
import { RecordedCalls } from './recorded-calls.ts';
import { validateArguments } from './validate-arguments.ts';
import type { FailureCode } from '../contract/failures.ts';
import type { ContractEvent } from '../contract/run-io.ts';
import { ExecutionContract, type ContractFinding, type ContractTool } from './execution-contract.ts';
import { delegateFacts, toolFacts } from '../policies/tool-identity.ts';
import { runTracer, tracePolicyDecision } from './run-tracer.ts';

export interface ActivationContext {
  plan: Plan;
  agentName: string;
  activation: number;
  /** The rendered inbox: task input and upstream outputs. */
  inbox: string;
  effects: Effects;
  ledger: UsageLedger;
  catalog: ToolCatalog;
  /** Supervisor delegation: this activation's depth, the run's bounds, and its count of child runs. */
  delegation: DelegationContext;
  /** Numbers approvals within the run, so their ids are deterministic. */
  approvals: { next(): number };
  budget: BudgetContext;
  /** Called when the activation starts a step or a tool, for progress reporting. */
  onStep(step: number, action: string): void;
  /** Called when a tool call finished, failed, or was refused before running. */
  onToolResult(tool: string, durationMs: number | null, error: string | null): void;
  /**
   * Called with the calls refused without running: `inHistory` when this run's history already
   * shows them (the next model call's input, a delegate's result), not when the activation
   * ended before another model call.
   */
  onRefusals(refusals: readonly Refusal[], inHistory: boolean): void;
}

export interface DelegationContext {
  /** 0 for an agent of the graph, 1 for a delegate, … */
  depth: number;
  limits: ChildLimits;
  /** Child runs started so far in this run. */
  used(): number;
  /** Counts one more child run and returns its ordinal, for a deterministic child id. */
  reserve(): number;
}

export interface ActivationOutcome {
  output: JsonValue;
  steps: number;
  stoppedBy: 'answer' | 'max_steps' | 'tool_output' | 'foreach' | 'budget';
  /** Execution-contract violations observed and warnings (see workflows/execution-contract.ts). */
  contract?: ContractEvent[];
}

/** The run's budget state beyond the ledger: what people added, and whether they said to wrap up. */
export interface BudgetContext {
  topUps(): BudgetState;
  wrappedUp(): boolean;
  /** Pauses for a person; applies their top-up or wrap-up before it returns. */
  resolve(request: BudgetRequest): Promise<void>;
}


/** A tool the agent may call, as the model sees it and as the gate checks it. */
interface OfferedTool extends ToolDeclaration {
  /** Key into `plan.tools`, or null for a delegation. */
  key: string | null;
  mcpToolName: string | null;
  /** For a delegation tool: the agent it runs. */
  delegate: string | null;
  /** For a built-in memory tool: its name (the agent's grant lists it). */
  memory?: MemoryToolName;
}

const DELEGATION_INPUT_SCHEMA = {
  type: 'object',
  properties: { task: { type: 'string', description: 'What the delegate should do, with everything it needs to know.' } },
  required: ['task'],
} as const;

/** The workflow sandbox has no structuredClone; plans and schemas are JSON anyway. */
function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function delegateDescription(plan: Plan, delegate: string): string {
  const agent = plan.agents[delegate];
  const about = agent?.description || agent?.prompt.split('\n').find((line) => line.trim().length > 0)?.trim() || delegate;
  return `Delegate a task to ${delegate}, which returns its answer. ${about}`;
}

async function offeredTools(context: ActivationContext, agent: PlanAgent): Promise<OfferedTool[]> {
  const tools: OfferedTool[] = await Promise.all(
    agent.tools.map(async (key) => {
      const { description, inputSchema, mcpToolName } = await context.catalog.describe(key, context.agentName);
      return { key, name: context.plan.tools[key]!.name, description, inputSchema, mcpToolName, delegate: null };
    })
  );
  // Orloj adds the memory tools `spec.memory.allow` grants to the agent's tools.
  for (const name of agent.memory?.tools ?? []) {
    if (tools.some((tool) => tool.name === name)) continue;
    tools.push({ key: null, name, ...memoryToolDeclaration(name), mcpToolName: null, delegate: null, memory: name });
  }
  for (const delegate of context.plan.graph[context.agentName]?.delegates ?? []) {
    tools.push({
      key: null,
      name: delegateToolName(delegate),
      description: delegateDescription(context.plan, delegate),
      inputSchema: copyJson(DELEGATION_INPUT_SCHEMA) as unknown as JsonObject,
      mcpToolName: null,
      delegate,
    });
  }
  return tools;
}

/**
 * Tool calls one model turn may run. Calls beyond it are refused (TOO_MANY_TOOL_CALLS, told to
 * the model and audited): a model asking for thousands at once would otherwise exceed what a
 * workflow may have pending and stall the run.
 */
export const MAX_TOOL_CALLS_PER_TURN = 64;

/**
 * Framing tokens a provider adds, generously counted: per call, per message, per tool, and
 * the instructions some providers add when tools are offered (a few hundred tokens).
 */
const CALL_OVERHEAD_TOKENS = 64;
const MESSAGE_OVERHEAD_TOKENS = 8;
const TOOL_OVERHEAD_TOKENS = 16;
const TOOL_USE_OVERHEAD_TOKENS = 512;

/** A message's UTF-8 size as the model is given it: a stored tool output counts in full. */
function messageBytes(message: ChatMessage): number {
  return utf8Bytes(JSON.stringify(message)) + (message.role === 'tool' && message.stored ? message.stored.bytes : 0);
}

/**
 * Once a transcript the model is given passes this size, each model call sends only the
 * messages added since the transcript its previous call stored (activities/stored-transcript.ts):
 * history grows with the steps, not with their square. Smaller transcripts go whole, as before.
 */
const INLINE_TRANSCRIPT_BYTES = 8 * 1024;
const STORED_TRANSCRIPT_PATCH = 'orch-stored-transcript';

/**
 * UTF-8 sizes of a growing transcript, message by message, so bounding each call does not
 * serialize the whole conversation again (the transcript only ever grows by appending).
 */
class TranscriptSize {
  /** `prefix[i]`: the bytes of the first i messages, each serialized on its own. */
  private readonly prefix: number[] = [0];

  /** Bytes of `JSON.stringify(messages.slice(from))`: brackets, commas and the messages. */
  of(messages: readonly ChatMessage[], from = 0): number {
    for (let i = this.prefix.length - 1; i < messages.length; i++) this.prefix.push(this.prefix[i]! + messageBytes(messages[i]!));
    const count = messages.length - from;
    return this.prefix[messages.length]! - this.prefix[from]! + 2 + Math.max(count - 1, 0);
  }
}

/**
 * An upper bound of a call's input tokens: byte-level tokenizers never make more tokens than
 * the text has UTF-8 bytes, plus framing. Once a call reported its input, the next is bounded
 * by that plus what the conversation gained since, which is far tighter. `fixedBytes` is the
 * system prompt and tool declarations, the same for every call of an activation.
 */
function inputBound(
  fixedBytes: number,
  messages: readonly ChatMessage[],
  size: TranscriptSize,
  toolCount: number,
  previous: { inputTokens: number; messageCount: number } | null
): number {
  const whole =
    fixedBytes +
    size.of(messages) +
    CALL_OVERHEAD_TOKENS +
    MESSAGE_OVERHEAD_TOKENS * (messages.length + 1) +
    TOOL_OVERHEAD_TOKENS * toolCount +
    (toolCount > 0 ? TOOL_USE_OVERHEAD_TOKENS : 0);
  if (previous === null) return whole;
  const added = messages.length - previous.messageCount;
  const grown = previous.inputTokens + size.of(messages, previous.messageCount) + MESSAGE_OVERHEAD_TOKENS * added;
  return Math.min(whole, grown);
}

/** Structured output arrives as JSON text; keep it as JSON so conditions and joins can read it. */
function finalOutput(agent: PlanAgent, result: Pick<ModelCallResult, 'text'>): JsonValue {
  if (agent.outputSchema === null) return result.text;
  try {
    return JSON.parse(result.text) as JsonValue;
  } catch {
    return result.text;
  }
}

/** The names each offered tool goes by, for matching `tool_sequence` entries as policy matches names. */
function contractTools(plan: Plan, tools: readonly OfferedTool[]): ContractTool[] {
  return tools.map((tool) => {
    if (tool.key !== null) {
      const planTool = plan.tools[tool.key]!;
      const server = planTool.mcp ? plan.mcpServers[planTool.mcp.server] : undefined;
      return { name: tool.name, names: toolFacts(tool.key, planTool, server).names };
    }
    if (tool.delegate !== null) return { name: tool.name, names: delegateFacts(tool.delegate, plan.agents[tool.delegate]!.id).names };
    return { name: tool.name, names: [] };
  });
}

/** A contract violation: the run's CONTRACT_VIOLATION under `non_retryable_error`; recorded under `observe`. */
function violated(context: ActivationContext, contract: ExecutionContract, finding: ContractFinding): void {
  if (finding.kind === 'violation' && contract.enforced) throw new RunFailure('CONTRACT_VIOLATION', finding.message, context.agentName);
  contract.observe(finding);
}

/** One activation of an agent: its span (GenAI `invoke_agent`) holds its calls, decisions and waits. */
export function runActivation(context: ActivationContext): Promise<ActivationOutcome> {
  return runTracer().span(
    `invoke_agent ${context.agentName}`,
    { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': context.agentName, 'orch.agent': context.agentName, 'orch.activation': context.activation },
    () => activate(context),
    (outcome) => ({ 'orch.steps': outcome.steps, 'orch.stopped_by': outcome.stoppedBy })
  );
}

async function activate(context: ActivationContext): Promise<ActivationOutcome> {
  const { plan, agentName, effects, ledger } = context;
  const agent = plan.agents[agentName];
  if (!agent) throw new RunFailure('AGENT_NOT_FOUND', `agent ${agentName} is not in the plan`, agentName);
  const tools = await offeredTools(context, agent);
  const declarations = tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
  const messages: ChatMessage[] = [{ role: 'user', content: context.inbox }];

  const limits = ledger.limit(budgetLimits(plan, agentName));
  const refused: Refusal[] = [];
  const contract = agent.contract ? new ExecutionContract(agentName, agent.contract, contractTools(plan, tools)) : null;
  try {
    const outcome = await activationLoop(context, agent, tools, declarations, messages, limits, refused, contract);
    return contract && contract.events.length > 0 ? { ...outcome, contract: contract.events } : outcome;
  } finally {
    // Refusals of the last step reach no model: report them, so the audit still has them.
    context.onRefusals(refused.splice(0), false);
  }
}

async function activationLoop(
  context: ActivationContext,
  agent: PlanAgent,
  tools: readonly OfferedTool[],
  declarations: readonly ToolDeclaration[],
  messages: ChatMessage[],
  limits: BudgetLimits,
  refused: Refusal[],
  contract: ExecutionContract | null
): Promise<ActivationOutcome> {
  const { plan, agentName, effects, ledger } = context;
  let lastText = '';
  // Orloj's output of a contract agent done after a tool call: its latest non-blank model text.
  let spoken = '';
  let previous: { inputTokens: number; messageCount: number } | null = null;
  const fixedBytes = utf8Bytes(agent.prompt) + utf8Bytes(JSON.stringify(declarations));
  const size = new TranscriptSize();
  const recorded = new RecordedCalls();
  // The transcript the previous model call stored, once the transcript went by reference.
  let storedTranscript: StoredTranscript | null = null;
  let byReference = false;
  for (let step = 1; step <= agent.maxSteps; step++) {
    if (context.budget.wrappedUp()) return { output: lastText, steps: step - 1, stoppedBy: 'budget' };
    const modelDecision = checkModelCall(plan, agentName, agent.model);
    tracePolicyDecision(agentName, 'model', agent.model, modelDecision);
    if (!modelDecision.allowed) throw new RunFailure(modelDecision.code, modelDecision.reason, agentName);
    const model = plan.models[agent.model]!;
    // Reserve the call's own bound before it is scheduled: its input, at most, plus the output it is given.
    const bound = inputBound(fixedBytes, messages, size, declarations.length, previous);
    const cap = endpointOutputCap(model);
    const budget = await fitBudget(context, () =>
      reserveModelCall(withTopUps(limits, context.budget.topUps()), ledger.committed(), bound, model.pricing, cap)
    );
    if (!budget) return { output: lastText, steps: step - 1, stoppedBy: 'budget' };
    context.onStep(step, `model ${model.model}`);
    // The refusals the model is told about are in history with the call: in its scheduled input,
    // or for a local call in its marker's echo, which a failure Temporal raised itself lacks.
    const told = refused.splice(0);
    const local = model.execution === 'local';
    if (!local) context.onRefusals(told, true);
    // Decided from history alone (the sizes), so a replay decides the same; runs recorded before stay whole.
    if (!byReference && size.of(messages) > INLINE_TRANSCRIPT_BYTES) byReference = effects.patched?.(STORED_TRANSCRIPT_PATCH) ?? true;
    let result: ModelCallResult;
    try {
      result = await effects.callModel(
        {
          agent: agentName,
          activation: context.activation,
          step,
          model,
          system: agent.prompt,
          ...(byReference ? { messages: messages.slice(storedTranscript?.messages ?? 0), transcript: { base: storedTranscript } } : { messages }),
          tools: [...declarations],
          outputSchema: agent.outputSchema,
          ...(budget.maxOutputTokens !== null ? { maxOutputTokens: budget.maxOutputTokens } : {}),
          // What the budget holds back for this call until it settles (audited), when a budget applies.
          ...(limits.tokens || limits.costUsd ? { reserved: { tokens: budget.reserve.tokens, costUsd: budget.reserve.costUsd } } : {}),
          gate: gateCheck(plan, agentName, null),
        },
        { summary: activitySummary(agentName, modelCallWhat(model, step)) }
      );
    } catch (error) {
      if (local) context.onRefusals(told, error instanceof CallFailure && error.requestInHistory);
      // Attempts that failed after the model answered still consumed tokens.
      if (error instanceof CallFailure && error.spent) ledger.chargeFailedAttempts(agentName, error.spent, model.pricing);
      throw error;
    } finally {
      ledger.reserve(budget.reserve, -1);
    }
    if (local) context.onRefusals(told, true);
    // Settle with what the call reports having used, failed earlier attempts included. A
    // provider that counts nothing is charged the call's whole bound, never nothing.
    const unreported = result.usageReported === false && budget.maxOutputTokens !== null;
    const usage = unreported ? { inputTokens: bound, outputTokens: budget.maxOutputTokens!, totalTokens: bound + budget.maxOutputTokens! } : result.usage;
    ledger.recordModelCall(agentName, usage, model.pricing);
    if (result.retriedUsage) ledger.chargeFailedAttempts(agentName, result.retriedUsage, model.pricing);
    // What the next call builds on; a reference that does not count this call's transcript is not used.
    if (result.transcript && result.transcript.messages === messages.length) storedTranscript = result.transcript;
    // A provider that reports no input tokens gives no floor to build on: bound the whole conversation again.
    previous = result.usage.inputTokens > 0 ? { inputTokens: result.usage.inputTokens, messageCount: messages.length } : null;
    lastText = result.text;
    if (result.text.trim() !== '') spoken = result.text;
    if (contract) {
      // Every tool done and this output holds the markers: done, even if it asked for more calls (as Orloj).
      if (contract.completeWith(result.text)) return { output: finalOutput(agent, result), steps: step, stoppedBy: 'answer' };
      if (result.toolCalls.length === 0) {
        if (answeredBeforeContract(context, contract, step, result.text)) return { output: finalOutput(agent, result), steps: step, stoppedBy: 'answer' };
        // Not done: the model is told what the contract still needs, and asked again.
        if (result.text.trim() !== '') messages.push({ role: 'assistant', content: result.text, toolCalls: [] });
        messages.push({ role: 'user', content: contract.reminder(result.text) });
        continue;
      }
    }
    if (result.toolCalls.length === 0) return { output: finalOutput(agent, result), steps: step, stoppedBy: 'answer' };

    messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
    // A model may ask for any number of calls at once; past the bound they are refused, not run.
    const asked = result.toolCalls.slice(0, MAX_TOOL_CALLS_PER_TURN);
    const beyond = result.toolCalls.slice(MAX_TOOL_CALLS_PER_TURN);
    // Tools asked for in one turn run in parallel; their results go back in the order asked.
    const turn: Turn = {
      delegationsWaiting: asked.filter((call) => tools.some((t) => t.name === call.name && t.delegate !== null)).length,
      refused,
    };
    // A call outside the sequence under non_retryable_error ends the agent before any call of the turn is scheduled.
    if (contract) for (const call of asked) {
      const outside = contract.outsideSequence(step, call.name);
      if (outside) violated(context, contract, outside);
    }
    const toolMessages = await settleAll(
      asked.map((call) => {
        const run = () => runToolCall(context, tools, step, call, limits, turn);
        if (!contract) return recorded.run(tools.find((t) => t.name === call.name)?.key ?? null, call, run);
        return contractCall(context, contract, turn, step, call, () => recorded.run(tools.find((t) => t.name === call.name)?.key ?? null, call, run), run);
      })
    );
    for (const call of beyond) {
      toolMessages.push(
        refuse(context, turn, call, 'TOO_MANY_TOOL_CALLS', { message: `at most ${MAX_TOOL_CALLS_PER_TURN} tool calls run per model turn; ask for this one again` })
      );
    }
    messages.push(...toolMessages);
    if (agent.toolUseBehavior === 'stop_on_first_tool') {
      const first = toolMessages[0];
      if (first && first.role === 'tool' && !first.isError) return { output: first.output, steps: step, stoppedBy: 'tool_output' };
    }
    if (contract?.completeWith(result.text)) return { output: finalOutput(agent, { text: spoken }), steps: step, stoppedBy: 'answer' };
  }
  if (contract) {
    const finding = contract.atMaxSteps(agent.maxSteps, lastText);
    if (finding) violated(context, contract, finding);
  }
  return { output: lastText, steps: agent.maxSteps, stoppedBy: 'max_steps' };
}

/**
 * A contract agent answered without tool calls before its contract was met. Tools it can never
 * call left in the sequence are a violation at once (Orloj: "expected tool before completion");
 * observed, the agent is done if the answer holds the markers. Otherwise it is not done (false).
 */
function answeredBeforeContract(context: ActivationContext, contract: ExecutionContract, step: number, text: string): boolean {
  const early = contract.answeredEarly(step);
  if (!early) return false;
  violated(context, contract, early);
  return contract.remaining().length === contract.unreachable().length && contract.missingMarkers(text).length === 0;
}

/**
 * One tool call of a contract agent. Under `duplicate_tool_call_policy: deny` a call of a tool
 * that already succeeded is a violation: it ends the agent, or (observed) is refused, never
 * run; calls of one tool in one turn wait for the one before, so "already succeeded" is decided
 * as Orloj decides it, in the order asked. Under `short_circuit` an identical call gets the
 * recorded result (`recordedRun`). A call that succeeded counts towards the sequence.
 */
function contractCall(
  context: ActivationContext,
  contract: ExecutionContract,
  turn: Turn,
  step: number,
  call: ToolCall,
  recordedRun: () => Promise<ChatMessage>,
  run: () => Promise<ChatMessage>
): Promise<ChatMessage> {
  const settle = (message: ChatMessage): ChatMessage => {
    if (message.role === 'tool' && !message.isError) contract.recordSuccess(call.name);
    return message;
  };
  if (!contract.deniesDuplicates) return recordedRun().then(settle);
  return contract.inTurn(call.name, async () => {
    const duplicate = contract.duplicate(step, call.name);
    if (!duplicate) return settle(await run());
    violated(context, contract, duplicate);
    const { rule, expected, actual, message } = duplicate;
    return refuse(context, turn, call, 'CONTRACT_VIOLATION', { message, rule, expected, actual });
  });
}

/**
 * Like Promise.all, but a failure waits for the others to settle first: every call that was
 * scheduled is charged to the ledger (and a delegate's usage merged) before the run fails.
 */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

function toolError(call: ToolCall, output: JsonValue): ChatMessage {
  return { role: 'tool', toolCallId: call.id, toolName: call.name, output, isError: true };
}

async function runToolCall(
  context: ActivationContext,
  tools: readonly OfferedTool[],
  step: number,
  call: ToolCall,
  limits: BudgetLimits,
  turn: Turn
): Promise<ChatMessage> {
  const { plan, agentName } = context;
  const tool = tools.find((candidate) => candidate.name === call.name);
  if (!tool) {
    // Only declared tools can run: anything else is refused, reported, and never scheduled.
    return refuse(context, turn, call, 'TOOL_NOT_DECLARED', {
      message: `tool ${call.name} is not available to agent ${agentName}`,
      available: tools.map((t) => t.name),
    });
  }
  // Everything that can refuse the call is decided before a person is asked to approve it.
  const decision =
    tool.key !== null
      ? checkToolCall(plan, agentName, tool.key, tool.mcpToolName)
      : tool.memory
        ? checkMemoryCall(plan, agentName, tool.memory)
        : checkDelegateCall(plan, agentName, tool.delegate!);
  tracePolicyDecision(agentName, tool.key !== null ? 'tool' : tool.memory ? 'memory' : 'delegate', call.name, decision);
  if (!decision.allowed && decision.verdict !== 'approval_required') {
    if (onViolation(plan, agentName) === 'hard_stop') throw new RunFailure(decision.code, decision.reason, agentName);
    // on_violation: feedback — the model hears why, and the tool never runs.
    return refuse(context, turn, call, decision.code, { policy: decision.policy, rule: decision.rule ?? null, reason: decision.reason });
  }
  const issues = validateArguments(call.input, tool.inputSchema);
  if (issues.length > 0) {
    return refuse(context, turn, call, 'INVALID_ARGUMENTS', {
      message: `arguments do not match the input schema of ${call.name}`,
      issues: issues.map((i) => ({ ...i })),
    });
  }
  if (tool.delegate !== null) return runDelegation(context, tool.delegate, call, limits, turn);

  const embeds = tool.memory ? embeddingReservation(context, tool.memory, call, limits) : null;
  const budget = await fitBudget(context, () =>
    embeds
      ? reserveMemoryCall(withTopUps(limits, context.budget.topUps()), context.ledger.committed(), embeds.tokens, embeds.pricing)
      : reserveToolCall(withTopUps(limits, context.budget.topUps()), context.ledger.committed())
  );
  if (!budget) {
    return refuse(context, turn, call, 'BUDGET_EXCEEDED', { message: 'the run is wrapping up: its budget is spent' });
  }
  try {
    let approval: GateCheck['approval'] = null;
    if (!decision.allowed) {
      // The call holds its reservation while it waits: once approved it runs without a second check.
      const answer = await awaitApproval(context, turn, call, decision);
      if ('refusal' in answer) return answer.refusal;
      approval = answer.approval;
    }
    if (tool.memory) return await runMemoryCall(context, step, call, approval);
    const declared = plan.tools[tool.key!]!;
    // MCP tools are called by the name their server gave them, as discovery found it.
    const planTool = declared.mcp && tool.mcpToolName ? { ...declared, mcp: { ...declared.mcp, tool: tool.mcpToolName } } : declared;
    const mcpServer = planTool.mcp ? (plan.mcpServers[planTool.mcp.server] ?? null) : null;
    context.onStep(step, `tool ${call.name}`);
    return await settleToolCall(context, call, () =>
      context.effects.callTool(
        {
          agent: agentName,
          step,
          tool: planTool,
          mcpServer,
          call,
          toolKey: tool.key!,
          gate: gateCheck(plan, agentName, approval),
          // The agent's output may be this result: it must be in history, not a reference.
          ...(plan.agents[agentName]!.toolUseBehavior === 'stop_on_first_tool' ? { inlineOutput: true } : {}),
        },
        { summary: activitySummary(agentName, call.name) }
      )
    );
  } finally {
    context.ledger.reserve(budget.reserve, -1);
  }
}

const MEMORY_EMBEDDING_BUDGET_PATCH = 'orch-memory-embedding-budget';

/**
 * What a memory call reserves for its embeddings, when its Memory embeds through a ModelEndpoint
 * (whose tokens are the run's) and a token or cost limit applies: an upper bound of the tokens
 * of what it embeds, so the call is not made when it could take the run past the limit. Null
 * otherwise, and for runs that recorded memory calls before it was reserved (they replay as
 * they ran).
 */
function embeddingReservation(context: ActivationContext, tool: MemoryToolName, call: ToolCall, limits: BudgetLimits): { tokens: number; pricing: PlanModel['pricing'] } | null {
  const { plan, agentName } = context;
  const memory = plan.memories?.[plan.agents[agentName]!.memory?.memory ?? ''];
  if (!memory?.embedding || (limits.tokens === null && limits.costUsd === null)) return null;
  const command = parseMemoryCall(tool, call.input);
  // A call its arguments refuse embeds nothing: the store answers it with Orloj's error.
  const texts = isMemoryCommand(command) ? embeddedTexts(command) : [];
  if (texts.length === 0) return null;
  if (!(context.effects.patched?.(MEMORY_EMBEDDING_BUDGET_PATCH) ?? true)) return null;
  return { tokens: embeddingTokenBound(texts), pricing: memory.embedding.pricing };
}

/** A built-in memory tool call, as a tool call: counted, reported and told to the model the same way. */
async function runMemoryCall(context: ActivationContext, step: number, call: ToolCall, approval: GateCheck['approval']): Promise<ChatMessage> {
  const { plan, agentName } = context;
  const memoryKey = plan.agents[agentName]!.memory!.memory;
  const memory = plan.memories?.[memoryKey];
  const callMemory = context.effects.callMemory;
  if (!memory || !callMemory) throw new RunFailure('TOOL_NOT_FOUND', `memory ${memoryKey} is not in the plan`, agentName);
  context.onStep(step, `tool ${call.name}`);
  return settleToolCall(context, call, async () => {
    const result = await callMemory(
      { agent: agentName, step, memoryKey, memory, call, gate: gateCheck(plan, agentName, approval) },
      { summary: activitySummary(agentName, call.name) }
    );
    // An embedding model's tokens are the run's: charged like a model's (tokens, cost), though no model call is counted.
    if (result.usage) context.ledger.chargeFailedAttempts(agentName, result.usage, memory.embedding?.pricing ?? null);
    return result;
  });
}

/**
 * Runs a scheduled tool or memory call and settles it: counted in the ledger, reported, and
 * told to the model; a governance refusal by the worker ends the run instead.
 */
async function settleToolCall(context: ActivationContext, call: ToolCall, run: () => Promise<ToolCallResult>): Promise<ChatMessage> {
  const { agentName } = context;
  let result: ToolCallResult;
  try {
    result = await run();
  } catch (error) {
    if (!(error instanceof CallFailure)) throw error;
    context.ledger.recordToolCall(agentName, true);
    // The worker refused the call (its policy re-check, a secret's binding): the run's denial.
    if (GOVERNANCE_FAILURES.has(error.type)) throw new RunFailure(error.type, error.message, agentName);
    // The call failed for good (its retries are spent): the model hears about it and decides.
    context.onToolResult(call.name, null, error.type);
    return toolError(call, { error: error.type, message: error.message });
  }
  context.ledger.recordToolCall(agentName, result.isError);
  context.onToolResult(call.name, result.durationMs, result.isError ? 'tool reported an error' : null);
  return { role: 'tool', toolCallId: call.id, toolName: call.name, output: result.output, isError: result.isError, ...(result.stored ? { stored: result.stored } : {}) };
}

/** One model turn's tool calls: the delegations still to take their budget share, and the refusals so far. */
interface Turn {
  delegationsWaiting: number;
  refused: Refusal[];
}

/** A call refused without running: the model hears why, and the refusal is recorded for the audit. */
function refuse(context: ActivationContext, turn: Turn, call: ToolCall, code: FailureCode, output: JsonObject): ChatMessage {
  context.onToolResult(call.name, null, code);
  // An undeclared tool's name is the model's own text: the trace keeps the code only.
  runTracer().decision(`refusal ${code}`, { 'orch.agent': context.agentName, 'orch.denial.code': code, 'orch.tool': code === 'TOOL_NOT_DECLARED' ? undefined : call.name });
  const reason = typeof output.reason === 'string' ? output.reason : typeof output.message === 'string' ? output.message : code;
  const policy = typeof output.policy === 'string' ? { policy: output.policy, rule: typeof output.rule === 'string' ? output.rule : null } : {};
  turn.refused.push({ agent: context.agentName, tool: call.name, toolCallId: call.id, code, reason, ...policy });
  return toolError(call, { error: code, ...output });
}

/** A supervisor's delegation: the delegate runs as a child workflow; its answer is the tool result. */
async function runDelegation(
  context: ActivationContext,
  delegate: string,
  call: ToolCall,
  limits: BudgetLimits,
  turn: Turn
): Promise<ChatMessage> {
  const { agentName, delegation } = context;
  const depth = delegation.depth + 1;
  if (depth > delegation.limits.maxDepth || delegation.used() >= delegation.limits.maxChildTasks) {
    return refuse(context, turn, call, 'DELEGATION_LIMIT', {
      message: `delegation refused: depth ${depth} of at most ${delegation.limits.maxDepth}, ${delegation.used()} of at most ${delegation.limits.maxChildTasks} child runs`,
    });
  }
  const ordinal = delegation.reserve();
  // The child draws on a share of what is left, which the run holds for it until it returns:
  // delegates started together split the remainder, so together they never exceed it.
  const spentOutside = netOfTopUps(context);
  const share = delegationShare(withTopUps(limits, context.budget.topUps()), context.ledger.committed(), turn.delegationsWaiting);
  turn.delegationsWaiting = Math.max(turn.delegationsWaiting - 1, 1);
  const held = shareReserve(share);
  context.ledger.reserve(held);
  const input = call.input;
  const task = input !== null && typeof input === 'object' && !Array.isArray(input) && 'task' in input ? input.task! : input;
  context.onStep(0, `delegating to ${delegate}`);
  try {
    const result = await context.effects.delegate(
      { plan: context.plan, agent: delegate, task, supervisor: agentName, depth, spentOutside, share },
      { summary: activitySummary(agentName, `delegate ${delegate}`), childId: `${delegate}-${ordinal}` }
    );
    context.ledger.merge(result.usage);
    // The child's result in this run's history shows its refusals; a delegate passes them up.
    if (result.refusals) context.onRefusals(result.refusals, true);
    context.onToolResult(call.name, null, null);
    return { role: 'tool', toolCallId: call.id, toolName: call.name, output: result.output, isError: false };
  } catch (error) {
    if (!(error instanceof CallFailure)) throw error;
    if (error.childUsage) context.ledger.merge(error.childUsage);
    if (error.childRefusals) context.onRefusals(error.childRefusals, true);
    // A denial inside the delegate is the run's denial, not something to tell the supervisor.
    if (GOVERNANCE_FAILURES.has(error.type)) throw new RunFailure(error.type, error.message, delegate);
    context.onToolResult(call.name, null, error.type);
    return toolError(call, { error: error.type, message: error.message });
  } finally {
    context.ledger.reserve(held, -1);
  }
}

/** The run's commitments less what was added to its budget: what a delegate's limits must count. */
function netOfTopUps(context: ActivationContext): BudgetState {
  return addBudget(context.ledger.committed(), context.budget.topUps(), -1);
}

/**
 * A call under an `approval_required` verdict waits, durably, for a person. Approved: it goes
 * on (null). Denied or timed out: the run fails, or with `on_violation: feedback` the model is
 * told. Nothing else of the activation is re-run either way.
 */
async function awaitApproval(
  context: ActivationContext,
  turn: Turn,
  call: ToolCall,
  decision: { policy: string; rule?: string | null; reason: string }
): Promise<{ approval: NonNullable<GateCheck['approval']> } | { refusal: ChatMessage }> {
  const { plan, agentName } = context;
  const id = `approval-${context.approvals.next()}`;
  context.onStep(0, `waiting for approval ${id} of ${call.name}`);
  const outcome = await runTracer().span(
    `wait approval ${call.name}`,
    { 'orch.wait': 'approval', 'orch.approval.id': id, 'orch.agent': agentName, 'orch.tool': call.name, 'orch.policy.name': decision.policy, 'orch.policy.rule': decision.rule ?? undefined },
    () =>
      context.effects.awaitApproval({
        id,
        agent: agentName,
        tool: call.name,
        arguments: call.input,
        policy: decision.policy,
        rule: decision.rule ?? null,
        reason: decision.reason,
      }),
    (answer) => ({ 'orch.approval.decision': answer.decision, 'orch.approval.decided_by': 'decidedBy' in answer ? answer.decidedBy : undefined })
  );
  if (outcome.decision === 'approved') return { approval: { id, decidedBy: outcome.decidedBy } };
  const code = outcome.decision === 'timeout' ? 'APPROVAL_TIMEOUT' : 'APPROVAL_DENIED';
  const why =
    outcome.decision === 'timeout'
      ? `approval ${id} of ${call.name} timed out`
      : `approval ${id} of ${call.name} was denied by ${outcome.decidedBy}${outcome.reason ? `: ${outcome.reason}` : ''}`;
  if (onViolation(plan, agentName) === 'hard_stop') throw new RunFailure(code, why, agentName);
  return { refusal: refuse(context, turn, call, code, { message: why }) };
}

/** What the worker re-checks before running the call (see policies/recheck.ts). */
function gateCheck(plan: Plan, agent: string, approval: GateCheck['approval']): GateCheck {
  return {
    system: plan.system.name,
    task: plan.task?.name ?? null,
    agent,
    // What the policy engine reads of the agent; its prompt is already in the request once.
    agentSpec: { ...plan.agents[agent]!, prompt: '', description: '', outputSchema: null },
    governance: plan.governance,
    approval,
  };
}

/**
 * Reserves a call's bound once it fits; until then the budget is exhausted (the run fails, or
 * pauses for a person). Null when the run was told to wrap up meanwhile. The caller releases
 * the reservation when the call settles.
 */
async function fitBudget(context: ActivationContext, reserve: () => BudgetDecision): Promise<Extract<BudgetDecision, { fits: true }> | null> {
  let budget = reserve();
  while (!budget.fits) {
    await exhausted(context, budget);
    if (context.budget.wrappedUp()) return null;
    budget = reserve();
  }
  // In the same synchronous step as the check: calls started together each see the others'.
  context.ledger.reserve(budget.reserve);
  return budget;
}

/**
 * A call that does not fit the budget: the run fails (BUDGET_EXCEEDED), or under
 * `on_budget_exhausted: pause` it waits, durably, until a person adds budget or wraps it up.
 */
async function exhausted(context: ActivationContext, budget: Extract<BudgetDecision, { fits: false }>): Promise<void> {
  const { plan, agentName } = context;
  if (onBudgetExhausted(plan, agentName) === 'fail') {
    throw new RunFailure('BUDGET_EXCEEDED', `${budget.reason} (${budget.policy})`, agentName);
  }
  context.onStep(0, `paused: ${budget.reason}`);
  await context.budget.resolve({ agent: agentName, limit: budget.limit, policy: budget.policy, reason: budget.reason });
}
