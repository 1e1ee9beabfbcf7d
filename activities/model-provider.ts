/**
 * From a ModelEndpoint (PlanModel) to an AI SDK LanguageModelV4 plus the generation
 * settings its `options` ask for. Providers are built per call: they are cheap objects,
 * and building them here keeps the resolved API key inside the activity's scope.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createAzure } from '@ai-sdk/azure';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import type { JsonValue, PlanModel } from '../compiler/plan.ts';
import { activityFailure } from './classify-failure.ts';
import { MockLanguageModel, type MockCallIdentity } from './mock-model.ts';
import type { Redact } from './redact.ts';

/** Generation settings `generateText` accepts, as read from `ModelEndpoint.options`. */
export interface GenerationSettings {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  stopSequences?: string[];
  seed?: number;
}

/** What building a model needs besides the endpoint. */
export interface ModelBuildInput {
  model: PlanModel;
  /** The resolved credential, if any. Never logged, never returned. */
  apiKey: string | undefined;
  fetch: typeof fetch | undefined;
  call: MockCallIdentity;
  redact: Redact;
}

/** A ready model and its settings. */
export interface BuiltModel {
  languageModel: LanguageModelV4;
  settings: GenerationSettings;
}

/** Ollama's default address, as in Orloj. Ollama serves an OpenAI-compatible API under `/v1`. */
export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

/** The environment variable each provider conventionally reads its key from, when no secretRef is set. */
export const PROVIDER_KEY_ENV: Partial<Record<PlanModel['provider'], string>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  'azure-openai': 'AZURE_API_KEY',
};

/** Builds the model for one call, or throws a non-retryable MODEL_CONFIG_INVALID failure. */
export function buildModel(input: ModelBuildInput): BuiltModel {
  const { model, apiKey, redact } = input;
  const options = readOptions(model);
  const settings = generationSettings(options, model, redact);
  const fetchOption = input.fetch ? { fetch: input.fetch } : {};
  const headers = stringRecord(options.get('headers'), 'headers', model, redact);
  const headersOption = headers ? { headers } : {};

  switch (model.provider) {
    case 'mock':
      return { languageModel: new MockLanguageModel(model, input.call), settings };

    case 'openai': {
      const organization = optionalString(options.get('organization'));
      const project = optionalString(options.get('project'));
      const provider = createOpenAI({
        ...(model.baseUrl ? { baseURL: model.baseUrl } : {}),
        ...(apiKey !== undefined ? { apiKey } : {}),
        ...(organization ? { organization } : {}),
        ...(project ? { project } : {}),
        ...headersOption,
        ...fetchOption,
      });
      // Chat Completions, not Responses: it is the API every OpenAI-compatible server speaks,
      // so pointing `openai` at a local server (an --override) keeps working.
      return { languageModel: provider.chat(model.model), settings };
    }

    case 'anthropic': {
      const version = optionalString(options.get('anthropic_version'));
      const provider = createAnthropic({
        ...(model.baseUrl ? { baseURL: model.baseUrl } : {}),
        ...(apiKey !== undefined ? { apiKey } : {}),
        headers: { ...(version ? { 'anthropic-version': version } : {}), ...headers },
        ...fetchOption,
      });
      return { languageModel: provider.languageModel(model.model), settings };
    }

    case 'openai-compatible':
    case 'ollama': {
      let baseURL: string;
      if (model.provider === 'ollama') {
        const root = trimSlashes(model.baseUrl ?? OLLAMA_DEFAULT_BASE_URL);
        baseURL = root.endsWith('/v1') ? root : `${root}/v1`;
      } else {
        if (!model.baseUrl) throw configInvalid(model, 'provider openai-compatible requires base_url', redact);
        baseURL = trimSlashes(model.baseUrl);
      }
      // Most OpenAI-compatible servers (vLLM, Ollama, llama.cpp, LM Studio) accept
      // `response_format: json_schema`; `structured_outputs: false` falls back to json_object.
      const structured = optionalBoolean(options.get('structured_outputs'), 'structured_outputs', model, redact) ?? true;
      const provider = createOpenAICompatible({
        name: model.provider === 'ollama' ? 'ollama' : 'openai-compatible',
        baseURL,
        ...(apiKey !== undefined ? { apiKey } : {}),
        supportsStructuredOutputs: structured,
        ...headersOption,
        ...fetchOption,
      });
      return { languageModel: provider.chatModel(model.model), settings };
    }

    case 'azure-openai': {
      const deployment = optionalString(options.get('deployment')) ?? model.model;
      const apiVersion = optionalString(options.get('api_version'));
      const resourceName = optionalString(options.get('resource_name'));
      if (!model.baseUrl && !resourceName) {
        throw configInvalid(model, 'provider azure-openai requires base_url or options.resource_name', redact);
      }
      // A dated api_version (e.g. 2024-10-21) is the classic deployment URL scheme Orloj uses:
      // {base}/openai/deployments/{deployment}/chat/completions?api-version=...
      const deploymentUrls =
        optionalBoolean(options.get('use_deployment_based_urls'), 'use_deployment_based_urls', model, redact) ??
        (apiVersion !== undefined && apiVersion !== 'v1');
      let baseURL = model.baseUrl ? trimSlashes(model.baseUrl) : undefined;
      if (baseURL && deploymentUrls && !/\/openai$/i.test(baseURL)) baseURL = `${baseURL}/openai`;
      const provider = createAzure({
        ...(baseURL ? { baseURL } : { resourceName }),
        ...(apiKey !== undefined ? { apiKey } : {}),
        ...(apiVersion ? { apiVersion } : {}),
        useDeploymentBasedUrls: deploymentUrls,
        ...headersOption,
        ...fetchOption,
      });
      return { languageModel: provider.chat(deployment), settings };
    }

    default: {
      const provider: never = model.provider;
      throw configInvalid(model, `unknown provider ${String(provider)}`, redact);
    }
  }
}

/** MODEL_CONFIG_INVALID (not retryable) naming the endpoint. */
export function configInvalid(model: PlanModel, message: string, redact: Redact) {
  return activityFailure(
    'MODEL_CONFIG_INVALID',
    `model endpoint ${model.id.namespace}/${model.id.name}: ${message}`,
    { nonRetryable: true, details: { modelEndpoint: `${model.id.namespace}/${model.id.name}` } },
    redact
  );
}

/** Options with keys normalised to snake_case lower-case (Orloj lower-cases them; camelCase is accepted). */
function readOptions(model: PlanModel): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  for (const [key, value] of Object.entries(model.options)) {
    out.set(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(), value);
  }
  return out;
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

function optionalString(value: JsonValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function optionalBoolean(value: JsonValue | undefined, name: string, model: PlanModel, redact: Redact): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw configInvalid(model, `option ${name} must be true or false`, redact);
}

/** Orloj's options are strings (`max_tokens: "1024"`), so numbers may arrive as text. */
function optionalNumber(value: JsonValue | undefined, name: string, model: PlanModel, redact: Redact): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) throw configInvalid(model, `option ${name} must be a number`, redact);
  return number;
}

function stringRecord(value: JsonValue | undefined, name: string, model: PlanModel, redact: Redact): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw configInvalid(model, `option ${name} must be a map`, redact);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw configInvalid(model, `option ${name}.${key} must be a string`, redact);
    out[key] = item;
  }
  return out;
}

function generationSettings(options: Map<string, JsonValue>, model: PlanModel, redact: Redact): GenerationSettings {
  const settings: GenerationSettings = {};
  const number = (...names: string[]): number | undefined => {
    for (const name of names) {
      const value = optionalNumber(options.get(name), name, model, redact);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const maxOutputTokens = number('max_output_tokens', 'max_tokens', 'max_completion_tokens');
  if (maxOutputTokens !== undefined) settings.maxOutputTokens = Math.floor(maxOutputTokens);
  const temperature = number('temperature');
  if (temperature !== undefined) settings.temperature = temperature;
  const topP = number('top_p');
  if (topP !== undefined) settings.topP = topP;
  const topK = number('top_k');
  if (topK !== undefined) settings.topK = topK;
  const presencePenalty = number('presence_penalty');
  if (presencePenalty !== undefined) settings.presencePenalty = presencePenalty;
  const frequencyPenalty = number('frequency_penalty');
  if (frequencyPenalty !== undefined) settings.frequencyPenalty = frequencyPenalty;
  const seed = number('seed');
  if (seed !== undefined) settings.seed = Math.floor(seed);
  const stop = options.get('stop_sequences') ?? options.get('stop');
  if (typeof stop === 'string' && stop !== '') settings.stopSequences = [stop];
  else if (Array.isArray(stop)) settings.stopSequences = stop.filter((item): item is string => typeof item === 'string');
  return settings;
}
