/**
 * callModel against real providers' wire formats, served by a local HTTP server.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure, DefaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import type { ModelCallRequest } from '../../contract/activity-io.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { echoReply, startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { applicationFailureOf, dumpFailure, modelRequest, planModel } from '../helpers/activity-fixtures.ts';

// Not credential-shaped (no sk- prefix), so only value redaction can hide it.
const SECRET = 'plain-DO-NOT-LEAK-0123456789';
const secretRef = { namespace: 'default', name: 'llm-key', key: 'value' };

let server: OpenAICompatibleServer;
beforeAll(async () => {
  server = await startOpenAICompatibleServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

function compatibleModel(overrides: Partial<ModelCallRequest['model']> = {}) {
  return planModel({ provider: 'openai-compatible', baseUrl: server.url, model: 'llama-test', secretRef, ...overrides });
}

/** Calls the model as a worker that loaded the request's ModelEndpoint (so its key may go there). */
async function call(request: ModelCallRequest, deps: ActivityDeps = { env: { ORCH_SECRET_LLM_KEY: SECRET } }) {
  const env = new MockActivityEnvironment();
  return env.run(createActivities({ manifests: { models: [request.model] }, ...deps }).callModel, request);
}

function callFailure(request: ModelCallRequest, deps?: ActivityDeps): Promise<ApplicationFailure> {

  return applicationFailureOf(call(request, deps));

}

const searchTool = {
  name: 'search',
  description: 'Search the web',
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

describe('callModel with openai-compatible', () => {
  it('sends the model id, system prompt, transcript with tool results, and tools', async () => {
    server.enqueue({ text: 'Paris is the capital.', usage: { promptTokens: 40, completionTokens: 6 } });
    const result = await call(
      modelRequest({
        model: compatibleModel({ options: { temperature: '0.2', max_tokens: 64 } }),
        step: 2,
        tools: [searchTool],
        messages: [
          { role: 'user', content: 'Capital of France?' },
          { role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'call_a', name: 'search', input: { query: 'capital of France' } }] },
          { role: 'tool', toolCallId: 'call_a', toolName: 'search', output: { answer: 'Paris' }, isError: false },
        ],
      })
    );

    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.body.model).toBe('llama-test');
    expect(request.body.temperature).toBe(0.2);
    expect(request.body.max_tokens).toBe(64);
    expect(request.body.messages).toEqual([
      { role: 'system', content: 'You are a careful researcher.' },
      { role: 'user', content: 'Capital of France?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'search', arguments: '{"query":"capital of France"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '{"answer":"Paris"}' },
    ]);
    expect(request.body.tools).toEqual([
      { type: 'function', function: { name: 'search', description: 'Search the web', parameters: searchTool.inputSchema } },
    ]);

    expect(result).toEqual({
      text: 'Paris is the capital.',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 40, outputTokens: 6, totalTokens: 46 },
      modelId: 'llama-test',
    });
  });

  it('returns tool calls with parsed input', async () => {
    server.enqueue({ toolCalls: [{ id: 'call_x', name: 'search', arguments: { query: 'paris' } }] });
    const result = await call(modelRequest({ model: compatibleModel(), tools: [searchTool] }));
    expect(result.toolCalls).toEqual([{ id: 'call_x', name: 'search', input: { query: 'paris' } }]);
    expect(result.finishReason).toBe('tool-calls');
  });

  it('passes a call to an undeclared tool through for the workflow to answer', async () => {
    server.enqueue({ toolCalls: [{ id: 'call_y', name: 'delete_everything', arguments: {} }] });
    const result = await call(modelRequest({ model: compatibleModel(), tools: [searchTool] }));
    expect(result.toolCalls).toEqual([{ id: 'call_y', name: 'delete_everything', input: {} }]);
  });

  it('fails retryably when a tool call input is not JSON', async () => {
    server.enqueue({ toolCalls: [{ name: 'search', arguments: '{"query": ' }] });
    const failure = await callFailure(modelRequest({ model: compatibleModel(), tools: [searchTool] }));
    expect(failure.type).toBe('MODEL_RESPONSE_INVALID');
    expect(failure.nonRetryable).toBe(false);
  });

  it('asks for structured output and validates it', async () => {
    const outputSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    server.enqueue({ text: '  {\n  "city" : "Paris"\n}  ' });
    const result = await call(modelRequest({ model: compatibleModel(), outputSchema }));
    expect(result.text).toBe('{"city":"Paris"}');
    expect(server.requests[0]!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: outputSchema } });

    for (const reply of [{ text: 'not json at all' }, { text: '{"town":"Paris"}' }, { text: '', finishReason: 'length' }]) {
      server.enqueue(reply);
      const failure = await callFailure(modelRequest({ model: compatibleModel(), outputSchema }));
      expect(failure.type).toBe('MODEL_RESPONSE_INVALID');
      expect(failure.nonRetryable).toBe(false);
    }
  });

  it('reports 0 usage when the server sends none', async () => {
    server.enqueue({ text: 'hi', usage: null });
    const result = await call(modelRequest({ model: compatibleModel() }));
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
  });

  it.each<[string, ActivityDeps]>([
    ['ORCH_SECRET_<NAME>', { env: { ORCH_SECRET_LLM_KEY: SECRET } }],
    ['ORLOJ_SECRET_<name>', { env: { 'ORLOJ_SECRET_llm-key': SECRET } }],
    ['a Secret manifest', { env: {}, secrets: { 'default/llm-key': { value: SECRET } } }],
  ])('authorizes with the secret from %s', async (_source, deps) => {
    await call(modelRequest({ model: compatibleModel() }), deps);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('sends no Authorization without a secretRef', async () => {
    await call(modelRequest({ model: compatibleModel({ secretRef: null }) }), { env: {} });
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('fails with SECRET_NOT_FOUND, without calling the model, when the secret is missing', async () => {
    const failure = await callFailure(modelRequest({ model: compatibleModel() }), { env: {} });
    expect(failure.type).toBe('SECRET_NOT_FOUND');
    expect(failure.nonRetryable).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('fails with MODEL_CONFIG_INVALID when base_url is missing', async () => {
    const failure = await callFailure(modelRequest({ model: compatibleModel({ baseUrl: null }) }));
    expect(failure.type).toBe('MODEL_CONFIG_INVALID');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('callModel with other providers', () => {
  it('openai uses Chat Completions at base_url', async () => {
    const result = await call(modelRequest({ model: planModel({ provider: 'openai', baseUrl: server.url, model: 'gpt-test', secretRef }) }));
    expect(server.requests[0]!.path).toBe('/v1/chat/completions');
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(result.text).toBe('echo: What is the capital of France?');
  });

  it('ollama appends /v1 to its base_url', async () => {
    const result = await call(modelRequest({ model: planModel({ provider: 'ollama', baseUrl: server.origin, model: 'llama3' }) }), { env: {} });
    expect(server.requests[0]!.path).toBe('/v1/chat/completions');
    expect(server.requests[0]!.body.model).toBe('llama3');
    expect(result.text).toContain('capital of France');
  });

  it('azure-openai uses the deployment URL, api-version and api-key header', async () => {
    await call(
      modelRequest({
        model: planModel({
          provider: 'azure-openai',
          baseUrl: server.origin,
          model: 'gpt-4o',
          options: { deployment: 'my-deployment', api_version: '2024-10-21' },
          secretRef,
        }),
      })
    );
    const request = server.requests[0]!;
    expect(request.path).toBe('/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21');
    expect(request.headers['api-key']).toBe(SECRET);
  });

  it('openai without a secretRef uses OPENAI_API_KEY from the injected env', async () => {
    await call(modelRequest({ model: planModel({ provider: 'openai', baseUrl: server.url, model: 'gpt-test' }) }), { env: { OPENAI_API_KEY: SECRET } });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it.each(['openai', 'anthropic', 'azure-openai'] as const)('%s without any key is MODEL_CONFIG_INVALID', async (provider) => {
    const failure = await callFailure(modelRequest({ model: planModel({ provider, baseUrl: server.url, model: 'x' }) }), { env: {} });
    expect(failure.type).toBe('MODEL_CONFIG_INVALID');
    expect(failure.nonRetryable).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('anthropic sends x-api-key and the anthropic_version option', async () => {
    // The local server only speaks Chat Completions, so /v1/messages gets a 404: enough to
    // check the request and that a 404 is a non-retryable request error.
    const failure = await callFailure(
      modelRequest({
        model: planModel({ provider: 'anthropic', baseUrl: server.url, model: 'claude-test', options: { anthropic_version: '2023-06-01' }, secretRef }),
      })
    );
    const request = server.requests[0]!;
    expect(request.path).toBe('/v1/messages');
    expect(request.headers['x-api-key']).toBe(SECRET);
    expect(request.headers['anthropic-version']).toBe('2023-06-01');
    expect(failure.type).toBe('MODEL_REQUEST_INVALID');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('callModel failure classification', () => {
  it('429 with retry-after → retryable MODEL_RATE_LIMITED with nextRetryDelay', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '3' } });
    const failure = await callFailure(modelRequest({ model: compatibleModel() }));
    expect(failure.type).toBe('MODEL_RATE_LIMITED');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(3000);
    expect(server.requests).toHaveLength(1); // no SDK-level retries
  });

  it('429 with retry-after-ms', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after-ms': '250' } });
    expect((await callFailure(modelRequest({ model: compatibleModel() }))).nextRetryDelay).toBe(250);
  });

  it.each([
    [500, 'MODEL_UNAVAILABLE', false],
    [503, 'MODEL_UNAVAILABLE', false],
    [401, 'MODEL_AUTH_FAILED', true],
    [403, 'MODEL_AUTH_FAILED', true],
    [400, 'MODEL_REQUEST_INVALID', true],
    [422, 'MODEL_REQUEST_INVALID', true],
  ])('%i → %s (nonRetryable %s)', async (status, type, nonRetryable) => {
    server.enqueue({ status });
    const failure = await callFailure(modelRequest({ model: compatibleModel() }));
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
    expect(server.requests).toHaveLength(1);
  });

  it('a malformed 200 body → retryable MODEL_RESPONSE_INVALID', async () => {
    server.enqueue({ status: 200, body: { unexpected: true } });
    const failure = await callFailure(modelRequest({ model: compatibleModel() }));
    expect(failure.type).toBe('MODEL_RESPONSE_INVALID');
    expect(failure.nonRetryable).toBe(false);
  });

  it('a dropped connection → retryable', async () => {
    server.enqueue({ drop: true });
    const failure = await callFailure(modelRequest({ model: compatibleModel() }));
    expect(failure.type).toBe('MODEL_UNAVAILABLE');
    expect(failure.nonRetryable).toBe(false);
  });

  it('connection refused → retryable MODEL_UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const failure = await callFailure(modelRequest({ model: compatibleModel({ baseUrl: `http://127.0.0.1:${port}/v1` }) }));
    expect(failure.type).toBe('MODEL_UNAVAILABLE');
    expect(failure.nonRetryable).toBe(false);
  });

  it('never puts the secret in the failure, even when the provider echoes it', async () => {
    const leaky = async (status: number) => {
      server.setDefault((request) => ({
        status,
        body: { error: { message: `invalid key ${request.headers.authorization} (${SECRET})`, type: 'invalid_request_error' } },
      }));
      try {
        return await callFailure(modelRequest({ model: compatibleModel() }));
      } finally {
        server.setDefault(echoReply);
      }
    };
    for (const status of [400, 401, 429, 500]) {
      const failure = await leaky(status);
      expect(failure.message).toContain('invalid key');
      expect(dumpFailure(failure)).not.toContain(SECRET);
      // What Temporal records in history: the failure as the worker encodes it.
      const encoded = new DefaultFailureConverter().errorToFailure(failure, defaultPayloadConverter);
      expect(dumpFailure(Object.assign(new Error('wrapper'), { encoded }))).not.toContain(SECRET);
    }
  });
});
