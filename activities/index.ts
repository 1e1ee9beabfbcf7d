/**
 * orch's activities: everything that touches the world. `callModel`, `callTool` and
 * `listMcpTools` are Temporal activity type names recorded in history: renaming one
 * breaks replay of every run that used it.
 */
import { createCallModel } from './call-model.ts';
import { createListMcpTools } from './call-mcp-tool.ts';
import { createCallTool } from './call-tool.ts';
import { createCallMemory } from './call-memory.ts';
import { activityRuntime, type ActivityDeps } from './deps.ts';
import type { McpConnectionPool } from './mcp-connections.ts';
import type { OrchActivities } from '../contract/activity-io.ts';

export type { ActivityDeps } from './deps.ts';
export { resolveSecret, secretEnvNames } from './secrets.ts';
export { MockLanguageModel } from './mock-model.ts';
export {
  discoverMcpTools,
  McpConnectionPool,
  type McpConnection,
  type McpDiscoveryDeps,
  type McpPoolOptions,
} from './mcp-connections.ts';

/** The activities and what they hold open, for a worker that manages their lifetime. */
export interface ActivityRuntimeHandle {
  /** The object to register with a Temporal worker. */
  activities: OrchActivities;
  /** The MCP connection pool the activities use (one client per server). */
  mcp: McpConnectionPool;
  /**
   * Closes MCP connections (stdio servers are stopped: stdin closed, then SIGTERM, then
   * SIGKILL) and HTTP keep-alive sockets. Call it after the worker has shut down.
   */
  close(): Promise<void>;
}

/**
 * Creates the activities and the resources they share (the MCP connection pool, the
 * guarded HTTP agents). Dependencies are injected here (secret values, environment,
 * fetch, network settings) so tests and embedding services control them.
 */
export function createActivityRuntime(deps: ActivityDeps = {}): ActivityRuntimeHandle {
  const runtime = activityRuntime(deps);
  return {
    activities: {
      callModel: createCallModel(runtime),
      callTool: createCallTool(runtime),
      listMcpTools: createListMcpTools(runtime),
      callMemory: createCallMemory(runtime),
    },
    mcp: runtime.mcp,
    close: () => runtime.close(),
  };
}

/**
 * Creates the activities a worker registers. The returned object also has a
 * non-enumerable `close()` (closes MCP connections; not registered as an activity, and
 * dropped by object spread): prefer {@link createActivityRuntime} to keep a handle.
 * Without `close()`, idle MCP connections still close after their `idleTimeoutMs`, and
 * stdio servers are killed when the process exits.
 */
export function createActivities(deps: ActivityDeps = {}): OrchActivities {
  const { activities, close } = createActivityRuntime(deps);
  Object.defineProperty(activities, 'close', { value: close, enumerable: false });
  return activities;
}

/** The `close()` that {@link createActivities} attaches, if present. */
export function closeActivities(activities: OrchActivities): Promise<void> {
  const close = (activities as { close?: () => Promise<void> }).close;
  return typeof close === 'function' ? close() : Promise.resolve();
}
