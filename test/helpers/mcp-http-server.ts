/**
 * A streamable-HTTP MCP server for tests: the SDK's McpServer behind its
 * StreamableHTTPServerTransport on node:http, with stateful sessions (one McpServer per
 * session) and an optional bearer-token check. 127.0.0.1, ephemeral port.
 *
 * Tools: `greet` ({name}) → "Hello, <name>!", `add` ({a, b}) → the sum as text.
 *
 * ```ts
 * const mcp = await startMcpHttpServer({ token: 's3cret' });
 * // endpoint: mcp.url (http://127.0.0.1:<port>/mcp)
 * await mcp.close();
 * ```
 */
import { listenOnLoopback } from './listen-loopback.ts';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface McpHttpServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  port: number;
  /** Every HTTP request: method and the authorization header it carried. */
  requests: { method: string; authorization: string | undefined; session: string | undefined }[];
  /** Live session ids. */
  sessions(): string[];
  close(): Promise<void>;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'orch-test-http', version: '1.0.0' });
  server.registerTool('greet', { description: 'Greets someone', inputSchema: { name: z.string() } }, async ({ name }) => ({
    content: [{ type: 'text', text: `Hello, ${name}!` }],
  }));
  server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  return server;
}

export async function startMcpHttpServer(options: { token?: string } = {}): Promise<McpHttpServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const requests: McpHttpServer['requests'] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const authorization = req.headers.authorization;
    const session = req.headers['mcp-session-id'] as string | undefined;
    requests.push({ method: req.method ?? 'GET', authorization, session });
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    if (options.token !== undefined && authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    if (session !== undefined) {
      const transport = transports.get(session);
      if (!transport) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      await transport.handleRequest(req, res);
      return;
    }
    // No session: must be an initialize; a new session with its own McpServer.
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
    };
    await buildServer().connect(transport);
    await transport.handleRequest(req, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  const listener = await listenOnLoopback(server);
  const { port } = listener;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    requests,
    sessions: () => [...transports.keys()],
    async close() {
      for (const transport of transports.values()) await transport.close().catch(() => {});
      await listener.close();
    },
  };
}
