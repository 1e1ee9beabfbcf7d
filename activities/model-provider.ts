/**
 * From a ModelEndpoint (PlanModel) to an AI SDK LanguageModelV4 plus the generation
 * settings its `options` ask for. Providers are built per call: they are cheap objects,
 * and building them here keeps the resolved API key inside the activity's scope.
 */
import type { LanguageModelV4 } from '@ai-sdk/provider';
import type { ApplicationFailure } from '@temporalio/common';
import type { JsonValue, PlanModel } from '../contract/plan.ts';
import { activityFailure } from './classify-failure.ts';
import { MockLanguageModel, type MockCallIdentity } from './mock-model.ts';
import { loadAnthropic, loadAzure, loadOpenAI, loadOpenAICompatible } from './provider-sdks.ts';
import { createRedactor, type Redact } from './redact.ts';
import type { CredentialOwner, SecretDestinations } from './secret-destinations.ts';
import { resolveSecret, type SecretSources } from './secrets.ts';
import { OUTPUT_CAP_OPTIONS } from '../policies/budget.ts';

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
export async function buildModel(input: ModelBuildInput): Promise<BuiltModel> {
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
      const { createOpenAI } = await loadOpenAI();
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
      const { createAnthropic } = await loadAnthropic();
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
        baseURL = ollamaBaseUrl(model);
      } else {
        if (!model.baseUrl) throw configInvalid(model, 'provider openai-compatible requires base_url', redact);
        baseURL = trimSlashes(model.baseUrl);
      }
      // Most OpenAI-compatible servers (vLLM, Ollama, llama.cpp, LM Studio) accept
      // `response_format: json_schema`; `structured_outputs: false` falls back to json_object.
      const structured = optionalBoolean(options.get('structured_outputs'), 'structured_outputs', model, redact) ?? true;
      const { createOpenAICompatible } = await loadOpenAICompatible();
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
      const { createAzure } = await loadAzure();
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

function ollamaBaseUrl(model: PlanModel): string {
  const root = trimSlashes(model.baseUrl ?? OLLAMA_DEFAULT_BASE_URL);
  return root.endsWith('/v1') ? root : `${root}/v1`;
}

/** The API roots the SDK providers use when no base URL is given. */
const PROVIDER_DEFAULT_BASE_URLS: Partial<Record<PlanModel['provider'], string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
};

/**
 * The URL a model endpoint's requests go under (every request's URL starts with it), as
 * {@link buildModel} configures its provider: the destination its credential is checked
 * against. Null when nothing is sent (mock) or the endpoint is too misconfigured to say
 * (buildModel then refuses it).
 */
export function modelDestination(model: PlanModel): string | null {
  switch (model.provider) {
    case 'mock':
      return null;
    case 'ollama':
      return ollamaBaseUrl(model);
    case 'azure-openai': {
      if (model.baseUrl) return trimSlashes(model.baseUrl);
      const resourceName = optionalString(readOptions(model).get('resource_name'));
      return resourceName ? `https://${resourceName}.openai.azure.com/openai` : null;
    }
    default:
      return model.baseUrl ? trimSlashes(model.baseUrl) : (PROVIDER_DEFAULT_BASE_URLS[model.provider] ?? null);
  }
}

/** The provider key variable a model without `secretRef` authenticates with, if its provider needs one. */
export function providerKeyVariable(model: PlanModel): string | undefined {
  return model.secretRef ? undefined : PROVIDER_KEY_ENV[model.provider];
}

/** A model call's credential, resolved for its endpoint. */
export interface ModelCredential {
  apiKey: string | undefined;
  /**
   * The fetch to give the provider: when a credential is sent, every request (redirects
   * included, followed here) is checked against the credential's bindings first.
   */
  fetch: typeof fetch | undefined;
  /** The refusal that fetch raised, if any: the SDK wraps whatever fetch throws. */
  denied(): ApplicationFailure | undefined;
}

/**
 * The endpoint's credential: its secretRef when it has one (a missing secret fails the
 * call), else the provider's conventional variable in the worker's environment
 * (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `AZURE_API_KEY`), which openai, anthropic and
 * azure-openai require; openai-compatible, ollama and mock need none. Throws a
 * non-retryable SECRET_DESTINATION_DENIED before resolving anything when the worker's
 * bindings do not let the credential go to the endpoint.
 */
export function modelCredential(model: PlanModel, sources: SecretSources, baseFetch: typeof fetch | undefined): ModelCredential {
  const subject = `model endpoint ${model.id.namespace}/${model.id.name}`;
  const variable = providerKeyVariable(model);
  const owner: CredentialOwner | null = model.secretRef ? { secret: model.secretRef } : variable ? { variable } : null;
  const destination = modelDestination(model);
  const { destinations } = sources;
  const checkDestination = () => {
    if (owner && destination && destinations) destinations.check(owner, { kind: 'url', url: destination }, subject);
  };
  let apiKey: string | undefined;
  if (model.secretRef) {
    // Checked before the lookup: a refused call learns nothing of which secrets the worker holds.
    checkDestination();
    apiKey = resolveSecret(model.secretRef, sources);
  } else if (variable !== undefined) {
    apiKey = sources.env[variable];
    // Checked here rather than left to the provider, which would read process.env behind
    // the injected env's back.
    if (apiKey === undefined || apiKey === '') {
      throw configInvalid(
        model,
        `provider ${model.provider} needs an API key: set auth.secretRef, or ${variable} on the worker (a keyless server can use provider openai-compatible)`,
        createRedactor([])
      );
    }
    checkDestination();
  }
  let refusal: ApplicationFailure | undefined;
  const guarded =
    owner && apiKey !== undefined && destinations && model.provider !== 'mock'
      ? boundFetch(baseFetch ?? globalThis.fetch, owner, destinations, subject, (failure) => (refusal = failure))
      : baseFetch;
  return { apiKey, fetch: guarded, denied: () => refusal };
}

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * A fetch that sends a credential only where `owner` is bound: each request URL is checked
 * before it is made, and redirects are followed here (`redirect: 'manual'`) so that every
 * hop is checked too. Node's fetch drops `Authorization` on a cross-origin redirect but not
 * `x-api-key` or `api-key`, which Anthropic and Azure use.
 */
function boundFetch(
  inner: typeof fetch,
  owner: CredentialOwner,
  destinations: SecretDestinations,
  subject: string,
  onDenied: (failure: ApplicationFailure) => void
): typeof fetch {
  return async (input, init) => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let request: RequestInit = { ...init, redirect: 'manual' };
    const target = typeof input === 'string' || input instanceof URL ? undefined : input;
    for (let hop = 0; ; hop++) {
      const refusal = destinations.refusal(owner, { kind: 'url', url }, subject);
      if (refusal) {
        onDenied(refusal);
        throw refusal;
      }
      const response = await inner(hop === 0 && target ? target : url, request);
      const location = response.headers.get('location');
      if (!REDIRECT_STATUS.has(response.status) || location === null || hop >= MAX_REDIRECTS) return response;
      await response.body?.cancel().catch(() => {});
      url = new URL(location, url).href;
      const method = (request.method ?? 'GET').toUpperCase();
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        // As fetch does: the redirected request becomes a GET without a body.
        const { body: _body, ...rest } = request;
        request = { ...rest, method: 'GET' };
      }
    }
  };
}

/** MODEL_CONFIG_INVALID (not retryable) naming the endpoint. */
export function configInvalid(model: PlanModel, message: string, redact: Redact) {
  return activityFailure(
    'MODEL_CONFIG_INVALID',
    `model endpoint ${model.id.namespace}/${model.id.name}: ${message}`,
    { details: { modelEndpoint: `${model.id.namespace}/${model.id.name}` } },
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
  const maxOutputTokens = number(...OUTPUT_CAP_OPTIONS);
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
