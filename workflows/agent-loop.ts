/**
 * One agent activation: call the model, run the tools it asked for, and repeat until it
 * answers without tool calls or reaches `maxSteps`. Pure over the Effects port.
 */
import type { JsonValue, Plan, PlanAgent } from '../compiler/plan.ts';
import type { ChatMessage, ModelCallResult, ToolCall, ToolDeclaration } from '../activities/types.ts';
import { checkModelCall, checkToolCall } from '../policies/gate.ts';
import type { Effects } from './types.ts';
import { RunFailure } from './run-failure.ts';
import type { UsageLedger } from './usage-ledger.ts';

export interface ActivationContext {
  plan: Plan;
  agentName: string;
  activation: number;
  /** The rendered inbox: task input and upstream outputs. */
  inbox: string;
  effects: Effects;
  ledger: UsageLedger;
  /** Called when the activation starts a step or a tool, for progress reporting. */
  onStep(step: number, action: string): void;
}

export interface ActivationOutcome {
  output: JsonValue;
  steps: number;
  stoppedBy: 'answer' | 'max_steps' | 'tool_output';
}

const ANY_OBJECT_SCHEMA = { type: 'object' as const };

function toolDeclarations(plan: Plan, agent: PlanAgent): ToolDeclaration[] {
  return agent.tools.flatMap((key) => {
    const tool = plan.tools[key];
    if (!tool) return [];
    return [{ name: tool.name, description: tool.description, inputSchema: tool.inputSchema ?? ANY_OBJECT_SCHEMA }];
  });
}

function toolKeyByName(plan: Plan, agent: PlanAgent, name: string): string | undefined {
  return agent.tools.find((key) => plan.tools[key]?.name === name);
}

/** Structured output arrives as JSON text; keep it as JSON so conditions and joins can read it. */
function finalOutput(agent: PlanAgent, result: ModelCallResult): JsonValue {
  if (agent.outputSchema === null) return result.text;
  try {
    return JSON.parse(result.text) as JsonValue;
  } catch {
    return result.text;
  }
}

export async function runActivation(context: ActivationContext): Promise<ActivationOutcome> {
  const { plan, agentName, effects, ledger } = context;
  const agent = plan.agents[agentName];
  if (!agent) throw new RunFailure('AGENT_NOT_FOUND', `agent ${agentName} is not in the plan`, agentName);
  const tools = toolDeclarations(plan, agent);
  const messages: ChatMessage[] = [{ role: 'user', content: context.inbox }];
  let lastText = '';

  for (let step = 1; step <= agent.maxSteps; step++) {
    const modelDecision = checkModelCall(plan, agentName, agent.model);
    if (!modelDecision.allowed) throw new RunFailure(modelDecision.code, modelDecision.reason, agentName);
    const model = plan.models[agent.model]!;
    context.onStep(step, `model ${model.model}`);
    const result = await effects.callModel(
      {
        agent: agentName,
        activation: context.activation,
        step,
        model,
        system: agent.prompt,
        messages,
        tools,
        outputSchema: agent.outputSchema,
      },
      { summary: `${agentName} · model ${model.model} · step ${step}` }
    );
    ledger.recordModelCall(agentName, result.usage, model.pricing);
    lastText = result.text;
    if (result.toolCalls.length === 0) return { output: finalOutput(agent, result), steps: step, stoppedBy: 'answer' };

    messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls });
    // Tools asked for in one turn run in parallel; their results go back in the order asked.
    const toolMessages = await Promise.all(result.toolCalls.map((call) => runToolCall(context, agent, step, call)));
    messages.push(...toolMessages);
    if (agent.toolUseBehavior === 'stop_on_first_tool') {
      const first = toolMessages[0];
      if (first && first.role === 'tool') return { output: first.output, steps: step, stoppedBy: 'tool_output' };
    }
  }
  return { output: lastText, steps: agent.maxSteps, stoppedBy: 'max_steps' };
}

async function runToolCall(
  context: ActivationContext,
  agent: PlanAgent,
  step: number,
  call: ToolCall
): Promise<ChatMessage> {
  const { plan, agentName } = context;
  const toolKey = toolKeyByName(plan, agent, call.name);
  if (toolKey === undefined) {
    // The model asked for a tool it was not given: tell it, as a tool error, and let it go on.
    return {
      role: 'tool',
      toolCallId: call.id,
      toolName: call.name,
      output: `tool ${call.name} is not available to agent ${agentName}`,
      isError: true,
    };
  }
  const decision = checkToolCall(plan, agentName, toolKey);
  if (!decision.allowed) throw new RunFailure(decision.code, decision.reason, agentName);
  const tool = plan.tools[toolKey]!;
  context.onStep(step, `tool ${tool.name}`);
  const result = await context.effects.callTool(
    { agent: agentName, step, tool, call },
    { summary: `${agentName} · tool ${tool.name}` }
  );
  context.ledger.recordToolCall(agentName);
  return { role: 'tool', toolCallId: call.id, toolName: call.name, output: result.output, isError: result.isError };
}
