/**
 * A real local HTTP server that records requests and answers from a script: the endpoint
 * of an HTTP tool in tests. 127.0.0.1, ephemeral port.
 *
 * ```ts
 * const tool = await startRecordingServer({ replies: [{ status: 503 }] });
 * // endpoint: tool.url  (any path under it is served)
 * expect(tool.requests).toHaveLength(0); // e.g. a blocked tool was never called
 * await tool.close();
 * ```
 */
import { listenOnLoopback } from './listen-loopback.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** One request the server received. */
export interface RecordedHttpRequest {
  method: string;
  path: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The raw body text. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** An answer. An object or array `body` is sent as JSON unless `headers` set a content-type. */
export interface HttpReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

/** Close the connection without answering. */
export interface HttpDropReply {
  drop: true;
  delayMs?: number;
}

export type ScriptedHttpReply = HttpReply | HttpDropReply;

export interface RecordingServerOptions {
  /** Replies served first, in order. */
  replies?: ScriptedHttpReply[];
  /** The reply when the queue is empty. Default: 200 with `{ ok: true, received: <json body> }`. */
  respond?: (request: RecordedHttpRequest) => ScriptedHttpReply | Promise<ScriptedHttpReply>;
}

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedHttpRequest[];
  enqueue(...replies: ScriptedHttpReply[]): void;
  close(): Promise<void>;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, reply: HttpReply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  let text = '';
  if (typeof reply.body === 'string') {
    text = reply.body;
    if (!hasType) headers['content-type'] = 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    text = JSON.stringify(reply.body);
    if (!hasType) headers['content-type'] = 'application/json';
  }
  headers['content-length'] = String(Buffer.byteLength(text));
  response.writeHead(reply.status ?? 200, headers);
  response.end(text);
}

/** Starts the server. */
export async function startRecordingServer(options: RecordingServerOptions = {}): Promise<RecordingServer> {
  const queue = [...(options.replies ?? [])];
  const respond: (request: RecordedHttpRequest) => ScriptedHttpReply | Promise<ScriptedHttpReply> =
    options.respond ?? ((request) => ({ body: { ok: true, received: request.json ?? null } }));
  const requests: RecordedHttpRequest[] = [];

  const server = createServer((request, response) => {
    void (async () => {
      const text = await readText(request);
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const recorded: RecordedHttpRequest = { method: request.method ?? 'GET', path: request.url ?? '/', headers, text, json };
      requests.push(recorded);
      const reply: ScriptedHttpReply = queue.shift() ?? (await respond(recorded));
      const delay = reply.delayMs ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if ('drop' in reply) {
        request.socket.destroy();
        return;
      }
      send(response, reply);
    })().catch((error: unknown) => {
      if (!response.headersSent) send(response, { status: 500, body: { error: String(error) } });
      else response.destroy();
    });
  });
  const listener = await listenOnLoopback(server);
  const { port } = listener;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    close: () => listener.close(),
  };
}
