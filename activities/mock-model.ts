/**
 * The `mock` provider: a deterministic, offline LanguageModelV4 that goes through the
 * same `generateText` path as real providers, so tests and benchmarks exercise the real
 * message mapping, tool parsing, structured output and failure classification.
 *
 * Two behaviours:
 * - Scripted (`PlanModel.mock.responses[agent]`): entry `step - 1` of the agent's list,
 *   with its text, tool calls, usage and latency. Past the end of the list (or on an entry
 *   with no text and no tool calls) the default behaviour answers, so a script that ends
 *   with a tool call finishes with an answer carrying the tool's output.
 * - Default (like Orloj's mock): on step 1 an agent with tools calls its first tool with
 *   the last user message; after tool results it answers with their output; otherwise it
 *   answers `"<agent>: <summary of the last user message>"`, so an agent's answer carries
 *   its upstream's text along a pipeline.
 *
 * Same request, same result: ids, text and usage depend only on the request.
 */
import {
  UnsupportedFunctionalityError,
  type JSONSchema7,
  type LanguageModelV4,
  type LanguageModelV4CallOptions,
  type LanguageModelV4Content,
  type LanguageModelV4FunctionTool,
  type LanguageModelV4GenerateResult,
  type LanguageModelV4Prompt,
  type LanguageModelV4StreamResult,
} from '@ai-sdk/provider';
import type { JsonValue, MockResponse, PlanModel } from '../contract/plan.ts';
import { abortableSleep } from './activity-context.ts';

/** Which call this is: the mock's script is keyed by agent and step. */
export interface MockCallIdentity {
  agent: string;
  activation: number;
  step: number;
}

/** Characters of the user message kept in a default answer. */
export const MOCK_SUMMARY_CHARS = 160;
/** Characters of the user message sent as a default tool input. */
export const MOCK_TOOL_INPUT_CHARS = 200;
/** Characters of a tool's output quoted in a default answer. */
export const MOCK_TOOL_OUTPUT_CHARS = 200;

/**
 * A LanguageModelV4 serving one model call of one agent. Built per call because the
 * script is keyed by agent and step, which the provider interface does not carry.
 */
export class MockLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = 'v4' as const;
  readonly provider = 'orch.mock';
  readonly modelId: string;
  readonly supportedUrls: Record<string, RegExp[]> = {};
  readonly #model: PlanModel;
  readonly #call: MockCallIdentity;

  constructor(model: PlanModel, call: MockCallIdentity) {
    this.modelId = model.model;
    this.#model = model;
    this.#call = call;
  }

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const script = this.#model.mock;
    const entries = script?.responses[this.#call.agent];
    // Past the end of the script, or on an entry that scripts no content, the default behaviour answers.
    const entry: MockResponse | undefined = entries?.[Math.max(this.#call.step, 1) - 1];

    const latencyMs = entry?.latencyMs ?? script?.latencyMs ?? 0;
    await abortableSleep(latencyMs, options.abortSignal);

    const scriptsContent = entry !== undefined && ((entry.text ?? '') !== '' || (entry.toolCalls?.length ?? 0) > 0);
    const content = scriptsContent ? this.#scripted(entry, lastUserText(options.prompt)) : this.#default(options);
    const toolCalls = content.filter((part) => part.type === 'tool-call');
    const outputChars = content.reduce(
      (sum, part) =>
        sum + (part.type === 'text' ? part.text.length : part.type === 'tool-call' ? part.toolName.length + part.input.length : 0),
      0
    );
    const inputTokens = entry?.usage?.inputTokens ?? Math.ceil(promptChars(options.prompt) / 4);
    // A provider never reports more output than the call allowed; neither does the mock.
    const outputTokens = Math.min(entry?.usage?.outputTokens ?? Math.ceil(outputChars / 4), options.maxOutputTokens ?? Infinity);
    return {
      content,
      finishReason: toolCalls.length > 0 ? { unified: 'tool-calls', raw: 'tool_calls' } : { unified: 'stop', raw: 'stop' },
      usage: {
        inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
      },
      response: { id: `mock-${this.#call.agent}-${this.#call.activation}-${this.#call.step}`, modelId: this.modelId, timestamp: new Date(0) },
      warnings: [],
    };
  }

  async doStream(_options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    // Activities use generateText only; streaming would add nothing but code to keep in step.
    throw new UnsupportedFunctionalityError({ functionality: 'streaming from the orch mock model' });
  }

  #toolCallId(index: number): string {
    const { agent, activation, step } = this.#call;
    return `mock-${agent}-${activation}-${step}-${index}`;
  }

  #scripted(entry: MockResponse, userText: string): LanguageModelV4Content[] {
    const content: LanguageModelV4Content[] = [];
    if (entry.text !== undefined && entry.text !== '') content.push({ type: 'text', text: fillPlaceholders(entry.text, userText) });
    (entry.toolCalls ?? []).forEach((call, index) => {
      content.push({ type: 'tool-call', toolCallId: this.#toolCallId(index), toolName: call.tool, input: JSON.stringify(call.input ?? {}) });
    });
    if (content.length === 0) content.push({ type: 'text', text: '' });
    return content;
  }

  #default(options: LanguageModelV4CallOptions): LanguageModelV4Content[] {
    const { agent, step } = this.#call;
    const userText = lastUserText(options.prompt);
    const results = trailingToolResults(options.prompt);
    const summary = truncate(collapse(newestInput(userText)), MOCK_SUMMARY_CHARS);

    if (results.length === 0 && step === 1) {
      const tool = options.tools?.find((candidate): candidate is LanguageModelV4FunctionTool => candidate.type === 'function');
      if (tool) {
        const input = defaultToolInput(tool.inputSchema, truncate(userText, MOCK_TOOL_INPUT_CHARS));
        return [{ type: 'tool-call', toolCallId: this.#toolCallId(0), toolName: tool.name, input: JSON.stringify(input) }];
      }
    }

    let answer = `${agent}: ${summary}`;
    for (const result of results) {
      answer += ` | ${result.toolName}${result.isError ? ' failed' : ''}: ${truncate(collapse(result.output), MOCK_TOOL_OUTPUT_CHARS)}`;
    }
    const format = options.responseFormat;
    if (format?.type === 'json') {
      const value = format.schema ? sampleFromSchema(format.schema, answer, 0) : { answer };
      return [{ type: 'text', text: JSON.stringify(value) }];
    }
    return [{ type: 'text', text: answer }];
  }
}

/**
 * A scripted text's placeholders: `{{input.KEY}}` is that key of the task input (every inbox
 * starts with it, workflows/inbox.ts), `{{input}}` the newest input summarised, as the default
 * answer quotes it. A key the input lacks is left as written.
 */
function fillPlaceholders(text: string, userText: string): string {
  if (!text.includes('{{')) return text;
  let taskInput: unknown;
  const section = /^Task input:\n([\s\S]*?)(?=\n\n(?:Output of [^\n]*:|Partial input: )|$)/.exec(userText)?.[1];
  try {
    taskInput = section === undefined ? undefined : JSON.parse(section);
  } catch {
    taskInput = section;
  }
  return text.replace(/\{\{\s*input(?:\.([A-Za-z0-9_-]+))?\s*\}\}/g, (placeholder, key: string | undefined) => {
    if (key === undefined) return truncate(collapse(newestInput(userText)), MOCK_SUMMARY_CHARS);
    const value = taskInput !== null && typeof taskInput === 'object' ? (taskInput as Record<string, unknown>)[key] : undefined;
    if (value === undefined) return placeholder;
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * The part of an agent's inbox the mock answers to: the last upstream output when there is
 * one (so a pipeline's answers nest, `writer: researcher: planner: …`), else the task input.
 */
function newestInput(userText: string): string {
  const sections = userText.split(/\n\n(?=Output of [^\n]*:\n)/);
  const last = sections[sections.length - 1] ?? userText;
  return last.replace(/^(Output of [^\n]*|Task input):\n/, '');
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

function lastUserText(prompt: LanguageModelV4Prompt): string {
  for (let index = prompt.length - 1; index >= 0; index--) {
    const message = prompt[index];
    if (message?.role === 'user') {
      return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
    }
  }
  return '';
}

interface RenderedToolResult {
  toolName: string;
  output: string;
  isError: boolean;
}

/** Tool results since the model's last turn, i.e. what it is being asked to answer from. */
function trailingToolResults(prompt: LanguageModelV4Prompt): RenderedToolResult[] {
  const results: RenderedToolResult[] = [];
  for (let index = prompt.length - 1; index >= 0; index--) {
    const message = prompt[index];
    if (message?.role !== 'tool') break;
    const parts: RenderedToolResult[] = [];
    for (const part of message.content) {
      if (part.type !== 'tool-result') continue;
      const output = part.output;
      const isError = output.type === 'error-text' || output.type === 'error-json' || output.type === 'execution-denied';
      parts.push({ toolName: part.toolName, output: renderToolOutput(output), isError });
    }
    results.unshift(...parts);
  }
  return results;
}

function renderToolOutput(output: { type: string; value?: unknown; reason?: string }): string {
  if (output.type === 'text' || output.type === 'error-text') return typeof output.value === 'string' ? output.value : '';
  if (output.type === 'execution-denied') return output.reason ?? 'denied';
  return JSON.stringify(output.value ?? null);
}

/** Characters the prompt carries, for the deterministic token estimate (~4 chars a token). */
function promptChars(prompt: LanguageModelV4Prompt): number {
  let chars = 0;
  for (const message of prompt) {
    if (message.role === 'system') {
      chars += message.content.length;
      continue;
    }
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') chars += part.text.length;
      else if (part.type === 'tool-call') chars += part.toolName.length + JSON.stringify(part.input ?? null).length;
      else if (part.type === 'tool-result') chars += part.toolName.length + renderToolOutput(part.output).length;
    }
  }
  return chars;
}

/**
 * The default tool input: `{input: text}`, or, when the schema requires string
 * properties, an object with the required properties filled and the text in the first
 * required string property.
 */
function defaultToolInput(schema: JSONSchema7, text: string): JsonValue {
  const required = Array.isArray(schema.required) ? schema.required : [];
  const properties = schema.properties ?? {};
  const firstString = required.find((name) => {
    const property = properties[name];
    return typeof property === 'object' && schemaTypes(property).includes('string');
  });
  if (firstString === undefined) return { input: text };
  const input: Record<string, JsonValue> = {};
  for (const name of required) {
    const property = properties[name];
    input[name] = name === firstString ? text : typeof property === 'object' ? sampleFromSchema(property, text, 1) : text;
  }
  return input;
}

function schemaTypes(schema: JSONSchema7): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === 'string') return [schema.type];
  if (schema.properties) return ['object'];
  return [];
}

/** A value satisfying simple JSON schemas: strings get `text`, numbers their minimum or 0. */
export function sampleFromSchema(schema: JSONSchema7, text: string, depth: number): JsonValue {
  if (depth > 8) return null;
  if (schema.const !== undefined) return schema.const as JsonValue;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as JsonValue;
  const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0] ?? schema.allOf?.[0];
  if (alternative !== undefined && typeof alternative === 'object' && schema.type === undefined) {
    return sampleFromSchema(alternative, text, depth + 1);
  }
  const types = schemaTypes(schema);
  const type = types.find((candidate) => candidate !== 'null') ?? types[0];
  switch (type) {
    case 'string': {
      const cut = typeof schema.maxLength === 'number' ? text.slice(0, schema.maxLength) : text;
      return typeof schema.minLength === 'number' ? cut.padEnd(schema.minLength, '.') : cut;
    }
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      // One element unless the schema forbids it, so a `foreach` edge over it fans out.
      const min = Math.max(schema.minItems ?? 0, schema.maxItems === 0 ? 0 : 1);
      const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
      const item = typeof items === 'object' ? sampleFromSchema(items, text, depth + 1) : text;
      return Array.from({ length: min }, () => item);
    }
    case 'object': {
      const out: Record<string, JsonValue> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        out[name] = typeof property === 'object' ? sampleFromSchema(property, text, depth + 1) : text;
      }
      return out;
    }
    default:
      return text;
  }
}
