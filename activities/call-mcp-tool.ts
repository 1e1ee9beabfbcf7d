/**
 * MCP in activities: `callTool` for tools of `type: mcp` (a `tools/call` on the tool's
 * server, through the worker's connection pool) and the `listMcpTools` activity.
 *
 * Outcomes of a call: the server's result is the model's output (see tool-output.ts for
 * how content maps to text), with every secret the worker holds masked; a result with
 * `isError: true` goes to the model as an error result, not a failure. Connection-level failures evict the connection and are retryable
 * (TOOL_UNAVAILABLE), so Temporal's next attempt reconnects; requests the server refuses
 * as malformed (unknown tool, invalid params) are non-retryable TOOL_REQUEST_INVALID.
 * Both activities heartbeat while in flight and honour cancellation (the server gets
 * `notifications/cancelled`).
 */
import { sameMcpToolName, type JsonValue } from '../contract/plan.ts';
import { currentActivityContext, withHeartbeat } from './activity-context.ts';
import { activityFailure } from './classify-failure.ts';
import type { ActivityRuntime } from './deps.ts';
import { classifyMcpError, listToolsOn, mcpServerId, type McpConnection } from './mcp-connections.ts';
import { createRedactor, redactDeep, type Redact, type Redactor } from './redact.ts';
import { limitOutput, mcpResultOutput } from './tool-output.ts';
import type { McpListRequest, McpToolDescription, ToolCallRequest, ToolCallResult } from '../contract/activity-io.ts';

/** Creates the MCP half of `callTool`. */
export function createCallMcpTool(runtime: ActivityRuntime): (request: ToolCallRequest) => Promise<ToolCallResult> {
  return async function callMcpTool(request: ToolCallRequest): Promise<ToolCallResult> {
    const started = performance.now();
    const { tool, mcpServer: server } = request;
    const context = currentActivityContext();
    const cancellationSignal = context?.cancellationSignal;
    const subject = `${tool.id.namespace}/${tool.id.name}`;
    const noRedaction = createRedactor([]);
    let redact: Redact = noRedaction;
    let clean: Redactor = runtime.redactors.result();
    try {
      if (!tool.mcp) {
        throw activityFailure('TOOL_CONFIG_INVALID', `tool ${subject}: mcp tool has no server/tool reference`, { details: { tool: subject } }, noRedaction);
      }
      if (!server) {
        throw activityFailure(
          'TOOL_CONFIG_INVALID',
          `tool ${subject}: the request carries no MCP server (expected ${tool.mcp.server})`,
          { details: { tool: subject, mcpServer: tool.mcp.server } },
          noRedaction
        );
      }
      const input = request.call.input;
      if (input !== null && input !== undefined && (typeof input !== 'object' || Array.isArray(input))) {
        // MCP arguments are an object; tell the model rather than fail the run.
        return { output: `tool ${tool.name} expects a JSON object as input`, isError: true, durationMs: elapsed(started), truncated: false };
      }
      const mcpTool = tool.mcp.tool;
      const result = await withHeartbeat(context, runtime.heartbeatIntervalMs, () =>
        runtime.mcp.use(
          server,
          async (connection) => {
            redact = connection.redact;
            clean = connection.redactResult;
            const name = await serverToolName(connection, mcpTool, runtime.mcpListTimeoutMs, cancellationSignal);
            return connection.client.callTool({ name, arguments: (input ?? {}) as Record<string, unknown> }, undefined, {
              timeout: Math.max(1, tool.timeoutMs),
              ...(cancellationSignal ? { signal: cancellationSignal } : {}),
            });
          },
          cancellationSignal ? { signal: cancellationSignal } : {}
        )
      );
      // Masked before the cut, so a cut cannot split a secret into a prefix nothing matches.
      const { output, truncated } = limitOutput(redactDeep(mcpResultOutput(result) as JsonValue, clean), runtime.maxToolOutputBytes);
      return { output, isError: result.isError === true, durationMs: elapsed(started), truncated };
    } catch (error) {
      throw classifyMcpError(error, { subject, redact, cancellationSignal, ...(server ? { server: mcpServerId(server) } : {}) });
    }
  };
}

/** Creates the `listMcpTools` activity: the server's tools, filtered by its `toolFilter`. */
export function createListMcpTools(runtime: ActivityRuntime): (request: McpListRequest) => Promise<McpToolDescription[]> {
  return async function listMcpTools(request: McpListRequest): Promise<McpToolDescription[]> {
    const { server } = request;
    const context = currentActivityContext();
    const cancellationSignal = context?.cancellationSignal;
    let redact: Redact = createRedactor([]);
    try {
      return await withHeartbeat(context, runtime.heartbeatIntervalMs, () =>
        runtime.mcp.use(
          server,
          async (connection) => {
            redact = connection.redact;
            const tools = await listToolsOn(connection, server.toolFilter, {
              timeoutMs: runtime.mcpListTimeoutMs,
              ...(cancellationSignal ? { signal: cancellationSignal } : {}),
            });
            // Descriptions and schemas are recorded in history and given to the model too.
            return redactDeep(tools, connection.redactResult);
          },
          cancellationSignal ? { signal: cancellationSignal } : {}
        )
      );
    } catch (error) {
      throw classifyMcpError(error, { subject: mcpServerId(server), redact, cancellationSignal });
    }
  };
}

/** Each connection's tool names, listed once, for {@link serverToolName}. */
const toolNamesByConnection = new WeakMap<McpConnection, Promise<string[] | null>>();

/**
 * The server's own spelling of `name`: the name itself when the server lists it (or the
 * listing fails), else the one listed tool whose name differs only in `-` versus `_`
 * (Orloj's tool names turn `_` into `-`, so a plan may carry `read-text-file` for a
 * server's `read_text_file`). One `tools/list` per connection.
 */
async function serverToolName(connection: McpConnection, name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<string> {
  let listing = toolNamesByConnection.get(connection);
  if (!listing) {
    const pending = listToolsOn(connection, [], { timeoutMs, ...(signal ? { signal } : {}) }).then(
      (tools) => tools.map((tool) => tool.name),
      () => {
        // Not cached: the next call on this connection lists again.
        toolNamesByConnection.delete(connection);
        return null;
      }
    );
    toolNamesByConnection.set(connection, pending);
    listing = pending;
  }
  const names = await listing;
  if (!names || names.includes(name)) return name;
  const matches = names.filter((candidate) => sameMcpToolName(candidate, name));
  return matches.length === 1 ? matches[0]! : name;
}

function elapsed(started: number): number {
  return Math.max(0, Math.round(performance.now() - started));
}
