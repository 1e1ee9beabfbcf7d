/**
 * A real local OpenAI-compatible model server for tests: `POST /v1/chat/completions`
 * (non-streaming; any path ending in `/chat/completions` is served, so Azure deployment
 * URLs work too) and `POST /v1/embeddings` (any path ending in `/embeddings`: by default a
 * deterministic hashed bag of words, see {@link hashedEmbedding}) on 127.0.0.1, an ephemeral
 * port, no network beyond loopback. Other paths are recorded and answered 404.
 *
 * Every request is recorded (method, path, lower-cased headers, parsed JSON body). Each
 * reply comes from the front of a scripted queue, else from a default function (by
 * default: the text `"echo: <last user message>"`). A reply is a completion (text and/or
 * tool calls, usage, finish reason), an HTTP error (status, headers such as `retry-after`,
 * body), or a dropped connection; any of them may be delayed.
 *
 * ```ts
 * const server = await startOpenAICompatibleServer({ replies: [{ toolCalls: [{ name: 'search', arguments: { q: 'x' } }] }] });
 * // model: { provider: 'openai-compatible', baseUrl: server.url, model: 'test-model', ... }
 * server.enqueue({ status: 429, headers: { 'retry-after': '2' } });
 * expect(server.requests[0]?.body.messages).toEqual(...);
 * await server.close();
 * ```
 */
import { listenOnLoopback } from './listen-loopback.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body (the raw text when it is not JSON). */
  // Tests read arbitrary fields of the Chat Completions request; typing it loosely keeps them short.
  body: any;
}

/** A tool call the model "makes". `arguments` is sent JSON-encoded unless already a string. */
export interface ScriptedToolCall {
  /** Defaults to `call_<n>` (n counts tool calls across the server's life). */
  id?: string;
  name: string;
  arguments: unknown;
}

/** A successful completion. */
export interface CompletionReply {
  text?: string | null;
  toolCalls?: ScriptedToolCall[];
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: string;
  /** Defaults to a ~4-chars-per-token estimate of request and reply. `null` omits usage. */
  usage?: { promptTokens: number; completionTokens: number; totalTokens?: number } | null;
  /** The `model` field of the response; defaults to the request's model. */
  model?: string;
  delayMs?: number;
}

/** An HTTP error. The body defaults to OpenAI's error shape with a message naming the status. */
export interface ErrorReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

/** Close the connection without answering (a network error for the client). */
export interface DropReply {
  drop: true;
  delayMs?: number;
}

/** What the server does with one request. */
export type ScriptedReply = CompletionReply | ErrorReply | DropReply;

/** An embeddings answer: these vectors (as given, even if wrong: tests of hostile answers), and usage. */
export interface EmbeddingsReply {
  embeddings: unknown[];
  usage?: { promptTokens: number } | null;
  delayMs?: number;
}

/** What the server does with one embeddings request. */
export type ScriptedEmbeddingReply = EmbeddingsReply | ErrorReply | DropReply;

/**
 * The default embedding: each lower-cased word (letters and digits) counted into one of
 * `dimensions` buckets by its FNV-1a hash, unit length; texts sharing words are near.
 */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0;
    vector[hash % dimensions]! += 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

/** Options of {@link startOpenAICompatibleServer}. */
export interface OpenAICompatibleServerOptions {
  /** Replies served first, in order, one per request. */
  replies?: ScriptedReply[];
  /** The reply when the queue is empty. Default: `{ text: "echo: <last user message>" }`. */
  respond?: (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;
  /** Delay added to every reply without its own `delayMs`. */
  delayMs?: number;
  /** Dimensions of the default embedding. Default 32. */
  embeddingDimensions?: number;
}

/** A running server. */
export interface OpenAICompatibleServer {
  /** Base URL ending in `/v1`, ready for `base_url`. */
  url: string;
  /** `host:port` root without `/v1` (e.g. for the `ollama` provider, which appends `/v1`). */
  origin: string;
  /** Every request received, in arrival order (including ones answered with errors). */
  requests: RecordedRequest[];
  /** Appends replies to the queue. */
  enqueue(...replies: ScriptedReply[]): void;
  /** Replaces the default reply function. */
  setDefault(respond: (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>): void;
  /** Appends replies to the embeddings queue (served before the default embedding). */
  enqueueEmbeddings(...replies: ScriptedEmbeddingReply[]): void;
  /** Changes the default embedding's dimensions. */
  setEmbeddingDimensions(dimensions: number): void;
  /** Stops the server, dropping open connections. */
  close(): Promise<void>;
}

/** The text of the last user message of a Chat Completions request, or ''. */
export function lastUserMessage(request: RecordedRequest): string {
  const messages: { role?: string; content?: unknown }[] = Array.isArray(request.body?.messages) ? request.body.messages : [];
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      return message.content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
    }
  }
  return '';
}

/** The default reply: the text `"echo: <last user message>"`. */
export const echoReply = (request: RecordedRequest): ScriptedReply => ({ text: `echo: ${lastUserMessage(request)}` });

function isError(reply: ScriptedReply): reply is ErrorReply {
  return 'status' in reply;
}

function isDrop(reply: ScriptedReply): reply is DropReply {
  return 'drop' in reply;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Starts the server on 127.0.0.1 and an ephemeral port. */
export async function startOpenAICompatibleServer(options: OpenAICompatibleServerOptions = {}): Promise<OpenAICompatibleServer> {
  const queue: ScriptedReply[] = [...(options.replies ?? [])];
  let respond = options.respond ?? echoReply;
  const requests: RecordedRequest[] = [];
  let completionCount = 0;
  let toolCallCount = 0;
  const embeddingQueue: ScriptedEmbeddingReply[] = [];
  let embeddingDimensions = options.embeddingDimensions ?? 32;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A throwing `respond` is a test bug; answer 500 so the test sees it rather than hang.
      if (!response.headersSent) sendJson(response, 500, { error: { message: `test server error: ${String(error)}`, type: 'server_error' } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    let body: unknown = raw;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      // Keep the raw text; the handler below answers 400.
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const recorded: RecordedRequest = { method: request.method ?? 'GET', path: request.url ?? '/', headers, body };
    requests.push(recorded);

    const path = recorded.path.split('?')[0];
    if (recorded.method === 'POST' && path?.endsWith('/embeddings')) return embeddings(request, response, body);
    // Any path ending in /chat/completions, so Azure's deployment URLs land here too.
    if (recorded.method !== 'POST' || !path?.endsWith('/chat/completions')) {
      sendJson(response, 404, { error: { message: `no route ${recorded.method} ${recorded.path}`, type: 'invalid_request_error' } });
      return;
    }
    if (typeof body !== 'object' || body === null) {
      sendJson(response, 400, { error: { message: 'request body must be JSON', type: 'invalid_request_error' } });
      return;
    }
    if ((body as { stream?: unknown }).stream === true) {
      sendJson(response, 400, { error: { message: 'this test server does not stream', type: 'invalid_request_error' } });
      return;
    }

    const reply = queue.shift() ?? (await respond(recorded));
    const delay = reply.delayMs ?? options.delayMs ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

    if (isDrop(reply)) {
      request.socket.destroy();
      return;
    }
    if (isError(reply)) {
      const errorBody = reply.body ?? {
        error: { message: `scripted error ${reply.status}`, type: reply.status === 429 ? 'rate_limit_error' : 'api_error', code: null },
      };
      sendJson(response, reply.status, errorBody, reply.headers);
      return;
    }

    completionCount += 1;
    const requestBody = body as { model?: string; messages?: unknown };
    const toolCalls = (reply.toolCalls ?? []).map((call) => {
      toolCallCount += 1;
      return {
        id: call.id ?? `call_${toolCallCount}`,
        type: 'function',
        function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
      };
    });
    const text = reply.text === undefined ? (toolCalls.length > 0 ? null : '') : reply.text;
    const promptTokens = Math.ceil(JSON.stringify(requestBody.messages ?? []).length / 4);
    const completionTokens = Math.ceil(((text ?? '').length + (toolCalls.length > 0 ? JSON.stringify(toolCalls).length : 0)) / 4);
    const usage =
      reply.usage === null
        ? undefined
        : reply.usage
          ? {
              prompt_tokens: reply.usage.promptTokens,
              completion_tokens: reply.usage.completionTokens,
              total_tokens: reply.usage.totalTokens ?? reply.usage.promptTokens + reply.usage.completionTokens,
            }
          : { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    sendJson(response, 200, {
      id: `chatcmpl-${completionCount}`,
      object: 'chat.completion',
      created: 1_700_000_000,
      model: reply.model ?? requestBody.model ?? 'test-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
          finish_reason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
        },
      ],
      ...(usage ? { usage } : {}),
    });
  }
  async function embeddings(request: IncomingMessage, response: ServerResponse, body: unknown): Promise<void> {
    const input = (body as { input?: unknown } | undefined)?.input;
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((x) => typeof x === 'string') ? (input as string[]) : null;
    if (!texts) {
      sendJson(response, 400, { error: { message: 'input must be a string or an array of strings', type: 'invalid_request_error' } });
      return;
    }
    const reply: ScriptedEmbeddingReply = embeddingQueue.shift() ?? { embeddings: texts.map((text) => hashedEmbedding(text, embeddingDimensions)) };
    const delay = reply.delayMs ?? options.delayMs ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if ('drop' in reply) {
      request.socket.destroy();
      return;
    }
    if ('status' in reply) {
      sendJson(response, reply.status, reply.body ?? { error: { message: `scripted error ${reply.status}`, type: 'api_error', code: null } }, reply.headers);
      return;
    }
    const promptTokens = reply.usage === undefined ? Math.ceil(texts.join(' ').length / 4) : (reply.usage?.promptTokens ?? null);
    sendJson(response, 200, {
      object: 'list',
      data: reply.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model: (body as { model?: unknown }).model ?? 'test-embedding',
      ...(promptTokens !== null ? { usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } } : {}),
    });
  }

  const listener = await listenOnLoopback(server);
  const { port } = listener;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    setDefault: (next) => {
      respond = next;
    },
    enqueueEmbeddings: (...replies) => embeddingQueue.push(...replies),
    setEmbeddingDimensions: (dimensions) => {
      embeddingDimensions = dimensions;
    },
    close: () => listener.close(),
  };
}
