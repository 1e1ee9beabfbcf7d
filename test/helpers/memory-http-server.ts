/**
 * A real local memory service speaking Orloj's http Memory protocol, for tests: `POST /put`
 * `{key, value}` → `{status: "ok"}`, `/get` `{key}` → `{found, key, value}`, `/search`
 * `{query, top_k}` → `{results: [{key, value, score}]}` (case-insensitive substring, score 1,
 * by key), `/list` `{prefix}` → `{entries: [{key, value}]}` (by key), `GET /ping` →
 * `{status: "ok"}`; errors as `{"error": "..."}`. On 127.0.0.1, an ephemeral port.
 *
 * With `token`, a request without `Authorization: Bearer <token>` is answered 401. Every
 * request is recorded; `intercept` may answer one itself (a hostile reply: any status, a raw
 * body, a delay, a trickle, a dropped connection).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen-loopback.ts';

export interface MemoryServerRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: any;
}

/** A reply of `intercept`: a status and raw body, optionally late, slow or cut off. */
export interface HostileReply {
  status?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Sends the body one byte every this many milliseconds (a server that never finishes). */
  trickleMs?: number;
  /** Closes the connection without answering. */
  drop?: boolean;
}

export interface MemoryServerOptions {
  token?: string;
  intercept?: (request: MemoryServerRequest) => HostileReply | undefined;
}

export interface MemoryServer {
  /** The endpoint to give the Memory, e.g. `http://127.0.0.1:1234/memory`. */
  url: string;
  requests: MemoryServerRequest[];
  entries: Map<string, string>;
  intercept: MemoryServerOptions['intercept'];
  close(): Promise<void>;
}

const PREFIX = '/memory';

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startMemoryServer(options: MemoryServerOptions = {}): Promise<MemoryServer> {
  const entries = new Map<string, string>();
  const requests: MemoryServerRequest[] = [];
  const state: Pick<MemoryServer, 'intercept'> = { intercept: options.intercept };
  const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

  async function hostile(request: IncomingMessage, response: ServerResponse, reply: HostileReply): Promise<void> {
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply.drop) {
      request.socket.destroy();
      return;
    }
    const body = Buffer.from(reply.body ?? '');
    response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...(reply.trickleMs ? {} : { 'content-length': body.byteLength }), ...reply.headers });
    if (!reply.trickleMs) {
      response.end(body);
      return;
    }
    for (const byte of body) {
      if (response.destroyed) return;
      response.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, reply.trickleMs));
    }
    response.end();
  }

  const server = createServer((request, response) => {
    void (async () => {
      const raw = await readBody(request);
      let body: unknown = raw;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        // Kept as text.
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const recorded: MemoryServerRequest = { method: request.method ?? 'GET', path: request.url ?? '/', headers, body };
      requests.push(recorded);
      const reply = state.intercept?.(recorded);
      if (reply) return hostile(request, response, reply);
      if (options.token !== undefined && headers.authorization !== `Bearer ${options.token}`) return send(response, 401, { error: 'unauthorized' });
      const path = recorded.path.startsWith(PREFIX) ? recorded.path.slice(PREFIX.length) : null;
      const input = (body ?? {}) as { key?: string; value?: string; query?: string; top_k?: number; prefix?: string };
      if (recorded.method === 'GET' && path === '/ping') return send(response, 200, { status: 'ok' });
      if (recorded.method !== 'POST' || typeof body !== 'object' || body === null) return send(response, 400, { error: `no route ${recorded.method} ${recorded.path}` });
      switch (path) {
        case '/put':
          if (typeof input.key !== 'string' || typeof input.value !== 'string') return send(response, 400, { error: 'key and value are required' });
          entries.set(input.key, input.value);
          return send(response, 200, { status: 'ok' });
        case '/get': {
          const value = entries.get(input.key ?? '');
          return send(response, 200, value === undefined ? { found: false, key: input.key } : { found: true, key: input.key, value });
        }
        case '/search': {
          const query = String(input.query ?? '').toLowerCase();
          const results = [...entries]
            .filter(([key, value]) => key.toLowerCase().includes(query) || value.toLowerCase().includes(query))
            .sort(byKey)
            .slice(0, input.top_k && input.top_k > 0 ? input.top_k : 10)
            .map(([key, value]) => ({ key, value, score: 1 }));
          return send(response, 200, { results });
        }
        case '/list': {
          const prefix = input.prefix ?? '';
          return send(response, 200, { entries: [...entries].filter(([key]) => key.startsWith(prefix)).sort(byKey).map(([key, value]) => ({ key, value })) });
        }
        default:
          return send(response, 404, { error: `no route ${recorded.path}` });
      }
    })().catch(() => response.destroy());
  });
  const listener = await listenOnLoopback(server);
  const memoryServer: MemoryServer = {
    url: `http://127.0.0.1:${listener.port}${PREFIX}`,
    requests,
    entries,
    get intercept() {
      return state.intercept;
    },
    set intercept(next) {
      state.intercept = next;
    },
    close: () => listener.close(),
  };
  return memoryServer;
}
