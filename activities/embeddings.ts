/**
 * Embeddings for `pgvector` Memories. Without `embedding_model`, orch's offline embedding (a
 * hashed bag of words of key and value, validation/memory/memory-calls.ts). With one, the
 * ModelEndpoint it names embeds what Orloj embeds (an entry's value, a search's query) through
 * the AI SDK's `embedMany`: `openai`, `openai-compatible`, `ollama` and `azure-openai` call their
 * embeddings API (`POST <base_url>/embeddings`), with the endpoint's credential bound to its base
 * URL as for model calls; `mock` embeds offline and deterministically (the same hashed bag of
 * words), so search still ranks similar text first; `anthropic` has no embeddings API.
 *
 * Failures are the model call's (MODEL_UNAVAILABLE, MODEL_AUTH_FAILED, …: see
 * classify-failure.ts); vectors of the wrong count, length or content are MODEL_RESPONSE_INVALID.
 */
import type { EmbeddingModelV4 } from '@ai-sdk/provider';
import { embedMany } from 'ai';
import type { PlanModel } from '../contract/plan.ts';
import { embed as offlineEmbed, embeddingText } from '../validation/memory/memory-calls.ts';
import { activityFailure, classifyModelError } from './classify-failure.ts';
import type { ActivityRuntime } from './deps.ts';
import { configInvalid, modelCredential, modelDestination, OLLAMA_DEFAULT_BASE_URL } from './model-provider.ts';
import { loadAzure, loadOpenAI, loadOpenAICompatible } from './provider-sdks.ts';

/** pgvector's limit on a vector's dimensions. */
const MAX_DIMENSIONS = 16_000;

export interface Embedder {
  /** Who embeds, for messages: `orch's offline embedding` or `model endpoint ns/name`. */
  readonly source: string;
  /** What an entry's embedding is taken of. */
  entryText(key: string, value: string): string;
  embed(texts: readonly string[]): Promise<number[][]>;
  /** Tokens the embedding model reported so far (0 offline). */
  readonly tokens: number;
}

/** Orch's offline embedding of key and value, 256 dimensions: a Memory without `embedding_model`. */
export const offlineEmbedder: Embedder = {
  source: "orch's offline embedding",
  entryText: embeddingText,
  embed: async (texts) => texts.map(offlineEmbed),
  tokens: 0,
};

/** The embedder of a pgvector Memory: its embedding model's, or the offline one. */
export function memoryEmbedder(runtime: ActivityRuntime, model: PlanModel | undefined, signal: AbortSignal | undefined): Embedder {
  return model ? new ModelEmbedder(runtime, model, signal) : offlineEmbedder;
}

class ModelEmbedder implements Embedder {
  readonly source: string;
  tokens = 0;
  readonly #runtime: ActivityRuntime;
  readonly #model: PlanModel;
  readonly #signal: AbortSignal | undefined;

  constructor(runtime: ActivityRuntime, model: PlanModel, signal: AbortSignal | undefined) {
    this.#runtime = runtime;
    this.#model = model;
    this.#signal = signal;
    this.source = `model endpoint ${model.id.namespace}/${model.id.name}`;
  }

  /** As Orloj: the value alone, so a table shared with an Orloj deployment ranks alike. */
  entryText(_key: string, value: string): string {
    return value;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const model = this.#model;
    if (model.provider === 'mock') {
      this.tokens += texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
      return texts.map(offlineEmbed);
    }
    const credential = modelCredential(model, this.#runtime, this.#runtime.fetch);
    const redact = this.#runtime.redactors.failure([credential.apiKey]);
    const timeout = AbortSignal.timeout(model.timeoutMs ?? 60_000);
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
    let embeddings: number[][];
    try {
      const result = await embedMany({ model: await embeddingModel(model, credential.apiKey, credential.fetch, redact), values: [...texts], maxRetries: 0, abortSignal: signal });
      embeddings = result.embeddings;
      this.tokens += Number.isFinite(result.usage?.tokens) ? Math.max(0, Math.ceil(result.usage.tokens)) : 0;
    } catch (error) {
      throw credential.denied() ?? classifyModelError(error, { redact, cancellationSignal: this.#signal, subject: this.source });
    }
    const width = embeddings[0]?.length ?? 0;
    const usable =
      embeddings.length === texts.length &&
      width > 0 &&
      width <= MAX_DIMENSIONS &&
      embeddings.every((vector) => Array.isArray(vector) && vector.length === width && vector.every((x) => typeof x === 'number' && Number.isFinite(x)));
    if (!usable) {
      throw activityFailure(
        'MODEL_RESPONSE_INVALID',
        `${this.source}: the embeddings answer is not ${texts.length} vectors of one length (1 to ${MAX_DIMENSIONS}) of finite numbers`,
        { details: { modelEndpoint: `${model.id.namespace}/${model.id.name}` } },
        redact
      );
    }
    return embeddings;
  }
}

/** The AI SDK embedding model of an endpoint, configured as buildModel configures its chat model. */
async function embeddingModel(model: PlanModel, apiKey: string | undefined, fetch: typeof globalThis.fetch | undefined, redact: (text: string) => string): Promise<EmbeddingModelV4> {
  const fetchOption = fetch ? { fetch } : {};
  const key = apiKey !== undefined ? { apiKey } : {};
  switch (model.provider) {
    case 'openai':
      return (await loadOpenAI()).createOpenAI({ ...(model.baseUrl ? { baseURL: model.baseUrl } : {}), ...key, ...fetchOption }).embeddingModel(model.model);
    case 'openai-compatible':
    case 'ollama': {
      const baseURL = modelDestination(model) ?? (model.provider === 'ollama' ? `${OLLAMA_DEFAULT_BASE_URL}/v1` : null);
      if (!baseURL) throw configInvalid(model, 'provider openai-compatible requires base_url', redact);
      return (await loadOpenAICompatible()).createOpenAICompatible({ name: model.provider, baseURL, ...key, ...fetchOption }).embeddingModel(model.model);
    }
    case 'azure-openai': {
      const baseURL = modelDestination(model);
      if (!baseURL) throw configInvalid(model, 'provider azure-openai requires base_url or options.resource_name', redact);
      return (await loadAzure()).createAzure({ baseURL, ...key, ...fetchOption }).embeddingModel(model.model);
    }
    default:
      throw configInvalid(model, `provider ${model.provider} has no embeddings API: embedding_model names an openai, openai-compatible, ollama, azure-openai or mock endpoint`, redact);
  }
}
