/** ModelEndpoint defaults (Orloj `ModelEndpoint.Normalize`): provider openai, per-provider base URLs. */
import type { MockResponse, MockScript } from '../../contract/plan.ts';
import type { ModelEndpointSpec } from '../resources.ts';
import type { ModelEndpointSpecInput } from '../schemas/model-endpoint.ts';
import type { Reporter } from './reporter.ts';

const DEFAULT_BASE_URLS: Partial<Record<ModelEndpointSpec['provider'], string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  ollama: 'http://127.0.0.1:11434',
};

/** Providers with no public default address: without base_url there is nothing to call. */
const NEEDS_BASE_URL: readonly ModelEndpointSpec['provider'][] = ['openai-compatible', 'azure-openai'];

function normalizeMock(mock: NonNullable<ModelEndpointSpecInput['mock']>): MockScript {
  const responses: Record<string, MockResponse[]> = {};
  for (const [agent, list] of Object.entries(mock.responses ?? {})) {
    responses[agent] = list.map((item) => {
      const response: MockResponse = {};
      if (item.text !== undefined) response.text = item.text;
      if (item.tool_calls !== undefined) response.toolCalls = item.tool_calls.map((call) => ({ tool: call.tool, input: call.input ?? {} }));
      if (item.usage !== undefined) response.usage = { inputTokens: item.usage.input_tokens, outputTokens: item.usage.output_tokens };
      if (item.latency !== undefined) response.latencyMs = item.latency;
      return response;
    });
  }
  return { latencyMs: mock.latency ?? 0, responses };
}

export function normalizeModelEndpoint(input: ModelEndpointSpecInput, report: Reporter): ModelEndpointSpec {
  const provider = input.provider ?? 'openai';
  if (input.default_model === undefined && provider !== 'mock') {
    report('MISSING_FIELD', `a ${provider} endpoint needs default_model (the model id sent to the provider)`, ['spec', 'default_model'], 'missing');
  }
  if (input.base_url === undefined && NEEDS_BASE_URL.includes(provider)) {
    report('MISSING_FIELD', `a ${provider} endpoint needs base_url`, ['spec', 'base_url'], 'missing');
  }
  if (input.execution === 'local' && input.rate_limit !== undefined) {
    // The server enforces rate_limit on the endpoint's task queue; a local activity never goes through one.
    report('INVALID_VALUE', 'execution: local cannot keep rate_limit (a local call does not pass through the rate-limited task queue); use execution: activity', ['spec', 'execution'], 'value');
  }
  if (input.mock !== undefined && provider !== 'mock') {
    report('INVALID_VALUE', `spec.mock scripts only the mock provider, not ${provider}`, ['spec', 'mock'], 'key');
  }
  return {
    provider,
    baseUrl: input.base_url ?? DEFAULT_BASE_URLS[provider] ?? null,
    defaultModel: input.default_model ?? 'mock',
    options: input.options ?? {},
    auth: { secretRef: input.auth?.secret_ref ?? null, profile: input.auth?.profile ?? null },
    pricing: input.pricing ? { inputPerMillion: input.pricing.input_per_million, outputPerMillion: input.pricing.output_per_million } : null,
    rateLimit: input.rate_limit ? { requestsPerSecond: input.rate_limit.requests_per_second } : null,
    timeoutMs: input.timeout ?? null,
    execution: input.execution ?? 'activity',
    mock: provider === 'mock' && input.mock ? normalizeMock(input.mock) : null,
  };
}
