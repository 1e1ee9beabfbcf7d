/**
 * A scripted model on the local OpenAI-compatible server, answering per agent.
 *
 * Each registration gets its own model name (the ModelEndpoint's `default_model`), so runs
 * of different plans can share one server concurrently; within a registration the agent is
 * the one whose prompt the request's system message carries. A script sees the agent, the
 * step of its activation (1 + the assistant messages so far), the tools the request offers
 * and the tool results so far, and returns the reply.
 */
import type { Plan } from '../../contract/plan.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer, type RecordedRequest, type ScriptedReply, type ScriptedToolCall } from './openai-compatible-server.ts';

export interface ModelTurn {
  agent: string;
  /** 1 for an activation's first model call, 2 after one reply, … */
  step: number;
  /** Names of the tools the request offers. */
  tools: string[];
  /** The contents of the tool-result messages so far, in order. */
  toolResults: string[];
  /** The first user message: the activation's inbox (task input, then upstream outputs). */
  input: string;
  /** The inbox's task input, parsed back from its JSON (the text itself when it is not JSON). */
  taskInput: any;
  request: RecordedRequest;
}

export type AgentScript = (turn: ModelTurn) => ScriptedReply;

export const say = (text: string): ScriptedReply => ({ text });
export const callTools = (...calls: Array<[name: string, args: unknown]>): ScriptedReply => ({ toolCalls: calls.map(([name, args]): ScriptedToolCall => ({ name, arguments: args })) });

/** One reply per step; past the last, the last (a final answer, usually) again. */
export function steps(...replies: Array<ScriptedReply | ((turn: ModelTurn) => ScriptedReply)>): AgentScript {
  return (turn) => {
    const reply = replies[Math.min(turn.step, replies.length) - 1]!;
    return typeof reply === 'function' ? reply(turn) : reply;
  };
}

/** Every model request the scripted model served for one registration, by agent. */
export interface ModelLog {
  model: string;
  turns: ModelTurn[];
  of(agent: string): ModelTurn[];
}

export interface ScriptedModel {
  server: OpenAICompatibleServer;
  /** A model name no registration has used yet. */
  freshModelName(): string;
  /**
   * The scripts answer requests for `model` (agents without one answer `<agent>: done`); they
   * may call only the tools a request offers, and those in `unoffered` (to test a refusal).
   */
  register(model: string, plans: Plan[], scripts: Record<string, AgentScript>, unoffered?: readonly string[]): ModelLog;
  close(): Promise<void>;
}

/** orch renders the inbox as `Task input:\n<JSON>`, then `Output of <agent>:\n…` sections. */
function taskInputOf(inbox: string): unknown {
  const body = inbox.replace(/^Task input:\n/, '').split(/\n\nOutput of [^\n]*:\n/)[0]!;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
  return '';
}

export async function startScriptedModel(): Promise<ScriptedModel> {
  const registrations = new Map<string, { prompts: Array<[prompt: string, agent: string]>; scripts: Record<string, AgentScript>; unoffered: Set<string>; log: ModelLog }>();
  let count = 0;
  const server = await startOpenAICompatibleServer({
    respond: (request) => {
      const model = String(request.body?.model ?? '');
      const registration = registrations.get(model);
      if (!registration) throw new Error(`no scripted model "${model}"`);
      const messages: Array<{ role?: string; content?: unknown }> = request.body?.messages ?? [];
      const system = messages.filter((m) => m.role === 'system').map((m) => text(m.content)).join('\n');
      // The longest prompt the system message contains: orch may add to a prompt, never cut it.
      const agent = registration.prompts.find(([prompt]) => system.includes(prompt))?.[1];
      if (!agent) throw new Error(`model "${model}": no agent's prompt in the system message ${JSON.stringify(system.slice(0, 80))}`);
      const input = text(messages.find((m) => m.role === 'user')?.content);
      const turn: ModelTurn = {
        agent,
        step: 1 + messages.filter((m) => m.role === 'assistant').length,
        tools: ((request.body?.tools ?? []) as Array<{ function?: { name?: string } }>).map((t) => t.function?.name ?? ''),
        toolResults: messages.filter((m) => m.role === 'tool').map((m) => text(m.content)),
        input,
        taskInput: taskInputOf(input),
        request,
      };
      registration.log.turns.push(turn);
      const script = registration.scripts[agent];
      const reply = script ? script(turn) : { text: `${agent}: done` };
      // Scripts call the tools the request offers: a tool orch stopped offering fails here, loudly.
      for (const call of 'toolCalls' in reply ? (reply.toolCalls ?? []) : []) {
        if (!turn.tools.includes(call.name) && !registration.unoffered.has(call.name)) throw new Error(`model "${model}": ${agent} scripted to call ${call.name}, which the request does not offer (${turn.tools.join(', ')})`);
      }
      return reply;
    },
  });
  return {
    server,
    freshModelName: () => `scripted-${++count}`,
    register(model, plans, scripts, unoffered = []) {
      const prompts = new Map<string, string>();
      for (const plan of plans) {
        for (const [name, agent] of Object.entries(plan.agents)) {
          const prompt = agent.prompt.trim();
          if (prompt === '') continue;
          if (prompts.has(prompt) && prompts.get(prompt) !== name) throw new Error(`agents "${prompts.get(prompt)}" and "${name}" share a prompt`);
          prompts.set(prompt, name);
        }
      }
      for (const agent of Object.keys(scripts)) {
        if (!plans.some((plan) => agent in plan.agents)) throw new Error(`script for "${agent}", which no plan has`);
      }
      const turns: ModelTurn[] = [];
      const log: ModelLog = { model, turns, of: (agent) => turns.filter((t) => t.agent === agent) };
      const sorted = [...prompts].sort(([a], [b]) => b.length - a.length);
      registrations.set(model, { prompts: sorted, scripts, unoffered: new Set(unoffered), log });
      return log;
    },
    close: () => server.close(),
  };
}
