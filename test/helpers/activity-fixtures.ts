/**
 * Builders for the Plan pieces activity tests need: a model endpoint, a tool, a model
 * call request. Each takes overrides, so a test states only what it is about.
 */
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';
import type { PlanMcpServer, PlanModel, PlanTool } from '../../contract/plan.ts';
import type { ModelCallRequest, ToolCallRequest } from '../../contract/activity-io.ts';

/** A PlanModel; `mock` provider unless overridden. */
export function planModel(overrides: Partial<PlanModel> = {}): PlanModel {
  return {
    id: { namespace: 'default', name: 'test-model' },
    provider: 'mock',
    baseUrl: null,
    model: 'mock-model',
    options: {},
    secretRef: null,
    pricing: null,
    rateLimit: null,
    mock: null,
    ...overrides,
  };
}

/** An HTTP PlanTool named `search`, without auth, 5 s timeout. */
export function planTool(overrides: Partial<PlanTool> = {}): PlanTool {
  return {
    id: { namespace: 'default', name: 'search' },
    name: 'search',
    type: 'http',
    endpoint: null,
    description: 'Search the web',
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    capabilities: [],
    operationClasses: ['read'],
    riskLevel: 'low',
    timeoutMs: 5_000,
    retry: { maxAttempts: 1, backoffMs: 0, maxBackoffMs: 30_000, jitter: 'none' },
    auth: null,
    mcp: null,
    ...overrides,
  };
}

/** A stdio PlanMcpServer named `everything` with no command; override what the test is about. */
export function planMcpServer(overrides: Partial<PlanMcpServer> = {}): PlanMcpServer {
  return {
    id: { namespace: 'default', name: 'everything' },
    transport: 'stdio',
    command: null,
    args: [],
    env: [],
    endpoint: null,
    auth: null,
    toolFilter: [],
    idleTimeoutMs: 60_000,
    reconnect: { maxAttempts: 3, backoffMs: 100 },
    ...overrides,
  };
}

/** An MCP PlanTool for `tool` on `server`, model-facing name `<server>--<tool>`. */
export function mcpTool(server: PlanMcpServer, tool: string, overrides: Partial<PlanTool> = {}): PlanTool {
  const name = `${server.id.name}--${tool.replace(/_/g, '-')}`;
  return planTool({
    id: { namespace: server.id.namespace, name },
    name,
    type: 'mcp',
    endpoint: null,
    description: '',
    inputSchema: null,
    mcp: { server: `${server.id.namespace}/${server.id.name}`, tool, discovered: false },
    ...overrides,
  });
}

/** A call of an MCP tool on `server` with `input`. */
export function mcpRequest(server: PlanMcpServer, tool: string, input: ToolCallRequest['call']['input'], overrides: Partial<PlanTool> = {}): ToolCallRequest {
  const planned = mcpTool(server, tool, overrides);
  return toolRequest(planned, { mcpServer: server, call: { id: 'call_1', name: planned.name, input } });
}

/** A first-step model call of agent `research` with one user message and no tools. */
export function modelRequest(overrides: Partial<ModelCallRequest> = {}): ModelCallRequest {
  return {
    agent: 'research',
    activation: 1,
    step: 1,
    model: planModel(),
    system: 'You are a careful researcher.',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    tools: [],
    outputSchema: null,
    ...overrides,
  };
}

/** A call of tool `search` with input `{query: 'paris'}`. */
export function toolRequest(tool: PlanTool, overrides: Partial<ToolCallRequest> = {}): ToolCallRequest {
  return {
    agent: 'research',
    step: 1,
    tool,
    mcpServer: null,
    call: { id: 'call_1', name: tool.name, input: { query: 'paris' } },
    ...overrides,
  };
}

/** Serializes anything, failures included (message, stack, details, cause), for "never contains" checks. */
export function dumpFailure(error: unknown): string {
  if (!(error instanceof Error)) return JSON.stringify(error);
  const seen = new Set<unknown>();
  const walk = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (value instanceof Error) {
      return { name: value.name, message: value.message, stack: value.stack, ...Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)])), cause: walk(value.cause) };
    }
    if (Array.isArray(value)) return value.map(walk);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
  };
  return JSON.stringify(walk(error));
}

/** The ApplicationFailure `promise` rejects with; the test fails when it resolves, or rejects with anything else. */
export async function applicationFailureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected an ApplicationFailure, but the call succeeded');
}
