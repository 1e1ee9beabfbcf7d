/**
 * The `mock` provider through the real callModel path: default behaviour, scripts,
 * determinism, usage, heartbeats and cancellation.
 */
import { describe, expect, it } from 'vitest';
import { CancelledFailure } from '@temporalio/common';
import { createActivities } from '../../activities/index.ts';
import type { ModelCallRequest } from '../../contract/activity-io.ts';
import type { MockScript } from '../../contract/plan.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { modelRequest, planModel } from '../helpers/activity-fixtures.ts';

const searchTool = {
  name: 'search',
  description: 'Search the web',
  inputSchema: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer', minimum: 1 } }, required: ['limit', 'query'] },
};

function call(request: ModelCallRequest, env = new MockActivityEnvironment(), heartbeatIntervalMs?: number) {
  return env.run(createActivities({ env: {}, ...(heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs } : {}) }).callModel, request);
}

function scripted(mock: MockScript) {
  return planModel({ mock });
}

describe('mock model, default behaviour', () => {
  it('answers with text that carries the upstream input', async () => {
    const upstream = 'Upstream   findings:\n the capital of France is Paris, population 2.1 million.';
    const result = await call(modelRequest({ agent: 'writer', messages: [{ role: 'user', content: upstream }] }));
    expect(result.text).toBe('writer: Upstream findings: the capital of France is Paris, population 2.1 million.');
    expect(result.toolCalls).toEqual([]);
    expect(result.finishReason).toBe('stop');
    expect(result.modelId).toBe('mock-model');
  });

  it('keeps a long input recognisable but short', async () => {
    const long = 'word '.repeat(200);
    const result = await call(modelRequest({ messages: [{ role: 'user', content: long }] }));
    expect(result.text.startsWith('research: word word')).toBe(true);
    expect(result.text.length).toBeLessThanOrEqual('research: '.length + 160);
  });

  it('calls the first tool on step 1, filling its first required string property', async () => {
    const result = await call(modelRequest({ tools: [searchTool, { ...searchTool, name: 'other' }] }));
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls).toEqual([{ id: 'mock-research-1-1-0', name: 'search', input: { limit: 1, query: 'What is the capital of France?' } }]);
  });

  it('uses {input} when the tool requires no string property', async () => {
    const tool = { name: 'lookup', description: '', inputSchema: { type: 'object' } };
    const result = await call(modelRequest({ tools: [tool] }));
    expect(result.toolCalls[0]?.input).toEqual({ input: 'What is the capital of France?' });
  });

  it('answers with the tool output after tool results', async () => {
    const result = await call(
      modelRequest({
        step: 2,
        tools: [searchTool],
        messages: [
          { role: 'user', content: 'Capital of France?' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'mock-research-1-1-0', name: 'search', input: { query: 'x' } }] },
          { role: 'tool', toolCallId: 'mock-research-1-1-0', toolName: 'search', output: { answer: 'Paris' }, isError: false },
        ],
      })
    );
    expect(result.toolCalls).toEqual([]);
    expect(result.text).toBe('research: Capital of France? | search: {"answer":"Paris"}');
  });

  it('answers with text on later steps even when tools exist', async () => {
    const result = await call(modelRequest({ step: 3, tools: [searchTool] }));
    expect(result.toolCalls).toEqual([]);
  });

  it('returns JSON satisfying a simple output schema', async () => {
    const outputSchema = {
      type: 'object',
      properties: {
        summary: { type: 'string' },
        score: { type: 'number' },
        tags: { type: 'array', items: { type: 'string' } },
        verdict: { enum: ['approve', 'reject'] },
      },
      required: ['summary', 'score', 'tags', 'verdict'],
      additionalProperties: false,
    };
    const result = await call(modelRequest({ outputSchema }));
    expect(JSON.parse(result.text)).toEqual({
      summary: 'research: What is the capital of France?',
      score: 0,
      tags: ['research: What is the capital of France?'],
      verdict: 'approve',
    });
  });

  it('respects string length bounds, and its JSON passes schema validation', async () => {
    const outputSchema = { type: 'object', properties: { title: { type: 'string', maxLength: 12 }, code: { type: 'string', minLength: 3 } }, required: ['title', 'code'] };
    const result = await call(modelRequest({ outputSchema, messages: [{ role: 'user', content: 'x' }] }));
    expect(JSON.parse(result.text)).toEqual({ title: 'research: x', code: 'research: x' });
    const short = await call(modelRequest({ agent: 'a', outputSchema: { type: 'object', properties: { t: { type: 'string', maxLength: 4 } } } }));
    expect(JSON.parse(short.text)).toEqual({ t: 'a: W' });
  });

  it('is deterministic, usage included', async () => {
    const request = modelRequest({ tools: [searchTool] });
    const first = await call(request);
    const second = await call(structuredClone(request));
    expect(second).toEqual(first);
    // ceil((system 29 + user 30 chars) / 4) and ceil((tool name + JSON input) / 4)
    expect(first.usage.inputTokens).toBe(Math.ceil(('You are a careful researcher.'.length + 'What is the capital of France?'.length) / 4));
    const input = JSON.stringify(first.toolCalls[0]?.input);
    expect(first.usage.outputTokens).toBe(Math.ceil(('search'.length + input.length) / 4));
    expect(first.usage.totalTokens).toBe(first.usage.inputTokens + first.usage.outputTokens);
  });
});

describe('mock model, scripted', () => {
  const script: MockScript = {
    latencyMs: 0,
    responses: {
      planner: [
        { toolCalls: [{ tool: 'search', input: { query: 'a' } }, { tool: 'search', input: { query: 'b' } }], usage: { inputTokens: 100, outputTokens: 10 } },
        { text: 'final answer', usage: { inputTokens: 200, outputTokens: 20 } },
      ],
    },
  };

  it('serves the entry for the step, with deterministic tool call ids and scripted usage', async () => {
    const first = await call(modelRequest({ agent: 'planner', activation: 2, step: 1, model: scripted(script), tools: [searchTool] }));
    expect(first.toolCalls).toEqual([
      { id: 'mock-planner-2-1-0', name: 'search', input: { query: 'a' } },
      { id: 'mock-planner-2-1-1', name: 'search', input: { query: 'b' } },
    ]);
    expect(first.usage).toEqual({ inputTokens: 100, outputTokens: 10, totalTokens: 110 });

    const second = await call(modelRequest({ agent: 'planner', step: 2, model: scripted(script), tools: [searchTool] }));
    expect(second).toMatchObject({ text: 'final answer', toolCalls: [], usage: { inputTokens: 200, outputTokens: 20, totalTokens: 220 } });
  });

  it('answers with the default behaviour past the end of the script, and on entries that script no content', async () => {
    const past = await call(modelRequest({ agent: 'planner', step: 7, model: scripted(script) }));
    expect(past).toMatchObject({ text: 'planner: What is the capital of France?', toolCalls: [] });
    const empty = await call(modelRequest({ agent: 'planner', model: scripted({ latencyMs: 0, responses: { planner: [{}] } }) }));
    expect(empty.text).toBe('planner: What is the capital of France?');
  });

  it('fills a scripted text\'s placeholders: {{input.KEY}} from the task input, {{input}} the newest input; an unknown key stays', async () => {
    const model = scripted({ latencyMs: 0, responses: { writer: [{ text: 'Brief: {{input.topic}} ({{ input.n }}) after {{input}}; {{input.missing}}' }] } });
    const inbox = 'Task input:\n{\n  "topic": "durable agents",\n  "n": 3\n}\n\nOutput of researcher:\nThree findings.';
    const result = await call(modelRequest({ agent: 'writer', model, messages: [{ role: 'user', content: inbox }] }));
    expect(result.text).toBe('Brief: durable agents (3) after Three findings.; {{input.missing}}');
  });

  it('falls back to the default behaviour for unscripted agents', async () => {
    const result = await call(modelRequest({ agent: 'critic', model: scripted(script) }));
    expect(result.text).toBe('critic: What is the capital of France?');
  });

  it('a scripted non-JSON answer under an output schema is a retryable MODEL_RESPONSE_INVALID', async () => {
    const model = scripted({ latencyMs: 0, responses: { research: [{ text: 'not json' }] } });
    await expect(call(modelRequest({ model, outputSchema: { type: 'object' } }))).rejects.toMatchObject({
      type: 'MODEL_RESPONSE_INVALID',
      nonRetryable: false,
    });
  });
});

describe('mock model latency: heartbeats and cancellation', () => {
  it('heartbeats while a slow call is in flight', async () => {
    const env = new MockActivityEnvironment();
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    const model = scripted({ latencyMs: 10, responses: { research: [{ text: 'slow', latencyMs: 300 }] } });
    const started = Date.now();
    const result = await call(modelRequest({ model }), env, 25);
    expect(result.text).toBe('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(heartbeats).toBeGreaterThanOrEqual(5);
  });

  it('stops heartbeating once the call is done', async () => {
    const env = new MockActivityEnvironment();
    await call(modelRequest(), env, 10);
    const count = env.heartbeats.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(env.heartbeats.length).toBe(count);
  });

  it('is cancelled promptly when the activity is cancelled', async () => {
    const env = new MockActivityEnvironment();
    const model = scripted({ latencyMs: 5_000, responses: {} });
    const started = Date.now();
    const pending = call(modelRequest({ model }), env);
    setTimeout(() => env.cancel(), 30);
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
