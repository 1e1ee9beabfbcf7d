/**
 * The MCP SDK, loaded when a worker first connects to an MCP server. Its schemas take ~100 ms
 * to load, which every `orch run` and worker start would otherwise spend whether or not a run
 * uses MCP. Until it is loaded no MCP error can exist, so checks of an error's class ask
 * {@link loadedMcpSdk} and find nothing to match.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

export interface McpSdk {
  Client: typeof Client;
  UnauthorizedError: typeof UnauthorizedError;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  StreamableHTTPError: typeof StreamableHTTPError;
  ReadBuffer: typeof ReadBuffer;
  serializeMessage: typeof serializeMessage;
  ErrorCode: typeof ErrorCode;
  McpError: typeof McpError;
}

let loaded: McpSdk | undefined;
let loading: Promise<McpSdk> | undefined;

export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/auth.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/shared/stdio.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(
    ([client, auth, http, stdio, types]) =>
      (loaded = {
        Client: client.Client,
        UnauthorizedError: auth.UnauthorizedError,
        StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
        StreamableHTTPError: http.StreamableHTTPError,
        ReadBuffer: stdio.ReadBuffer,
        serializeMessage: stdio.serializeMessage,
        ErrorCode: types.ErrorCode,
        McpError: types.McpError,
      }),
    (error: unknown) => {
      loading = undefined;
      throw error;
    }
  );
  return loading;
}

/** The SDK once {@link loadMcpSdk} has loaded it, else undefined. */
export function loadedMcpSdk(): McpSdk | undefined {
  return loaded;
}
