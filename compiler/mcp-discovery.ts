/**
 * Compile-time MCP discovery. The compiler does no MCP I/O itself: the caller (the CLI)
 * injects `discover`, which runs `tools/list` on one server. Here the results are filtered
 * by each server's tool_filter, checked against every reference to an MCP tool, and
 * written into the plan's MCP tools.
 */
import type { McpToolDescription } from '../contract/activity-io.ts';
import type { Diagnostic, SourceLocation } from './diagnostics.ts';
import type { ParsedResource } from './parse-resources.ts';
import { admittedMcpTool, sameMcpToolName, type Plan, type PlanMcpServer, type PlanTool } from '../contract/plan.ts';
import type { ResourceRegistry } from './registry.ts';
import type { AgentResource, ToolResource } from './resources.ts';
import { valueLocation, type ManifestPath } from './source-map.ts';

/** Lists the tools one MCP server offers (`tools/list`); rejects when the server cannot be reached. */
export type DiscoverMcpTools = (server: PlanMcpServer) => Promise<McpToolDescription[]>;

/** Longest error text kept in an MCP_DISCOVERY_FAILED message. */
const MAX_ERROR_CHARS = 500;


/** What agents may use of what a server offers: its tool_filter applied (empty filter: everything). */
export function offeredTools(server: PlanMcpServer, found: readonly McpToolDescription[]): McpToolDescription[] {
  return found.filter((tool) => admittedMcpTool(server.toolFilter, tool.name) !== undefined);
}

function oneLine(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const line = raw.replace(/\s*[\r\n]+\s*/g, ' ').trim() || 'no error message';
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS - 1)}…` : line;
}

function isDescription(value: unknown): value is McpToolDescription {
  return value !== null && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string';
}

/**
 * Runs `discover` once per server, all servers in parallel. A server whose discovery fails
 * (or answers with something that is not a tool list) gets an MCP_DISCOVERY_FAILED at its
 * `metadata.name` and no entry in the result. The result is keyed like `servers`, in
 * their order, and holds what each server offers after its tool_filter.
 */
export async function discoverServers(
  servers: Readonly<Record<string, PlanMcpServer>>,
  discover: DiscoverMcpTools,
  nameLocation: (serverKey: string) => SourceLocation | undefined,
  diagnostics: Diagnostic[],
): Promise<Record<string, McpToolDescription[]>> {
  const keys = Object.keys(servers);
  const settled = await Promise.allSettled(
    keys.map(async (key) => {
      // Called inside an async function so a synchronous throw is a rejection too.
      const found: unknown = await discover(servers[key]!);
      if (!Array.isArray(found) || !found.every(isDescription)) throw new Error('discovery did not return a list of tools');
      return found;
    }),
  );
  const out: Record<string, McpToolDescription[]> = {};
  settled.forEach((result, index) => {
    const key = keys[index]!;
    const server = servers[key]!;
    if (result.status === 'fulfilled') {
      out[key] = offeredTools(server, result.value).map((tool) => ({
        name: tool.name,
        description: typeof tool.description === 'string' ? tool.description : '',
        inputSchema: tool.inputSchema && typeof tool.inputSchema === 'object' && !Array.isArray(tool.inputSchema) ? tool.inputSchema : { type: 'object' },
      }));
      return;
    }
    const location = nameLocation(key);
    diagnostics.push({
      code: 'MCP_DISCOVERY_FAILED',
      severity: 'error',
      message: `McpServer ${key}: tools/list failed: ${oneLine(result.reason)}`,
      ...(location ? { location, path: ['metadata', 'name'] } : {}),
    });
  });
  return out;
}

/** One place a manifest names a tool on an MCP server. */
export interface McpToolReference {
  /** Key of the McpServer (`namespace/name`). */
  server: string;
  /** The tool's name as the reference spells it (or as the filter spells it, for generated tools). */
  tool: string;
  /** The manifest entry that names it: an agent's `tools` entry or a Tool's `mcp_tool_name`. */
  parsed: ParsedResource;
  path: ManifestPath;
}

/** References to MCP tools in these agents' `tools` lists (generated `<server>--<tool>` tools only). */
export function agentMcpReferences(registry: ResourceRegistry, agents: readonly AgentResource[]): McpToolReference[] {
  const out: McpToolReference[] = [];
  for (const agent of agents) {
    const parsed = registry.find('Agent', agent.key, agent.namespace);
    if (!parsed) continue;
    agent.spec.tools.forEach((ref, index) => {
      const target = registry.findTool(ref, agent.namespace);
      if (target?.kind !== 'mcp') return;
      out.push({ server: `${target.namespace}/${target.serverName}`, tool: target.toolName, parsed, path: ['spec', 'tools', index] });
    });
  }
  return out;
}

/** References to MCP tools by `type: mcp` Tools (their `mcp_tool_name`). */
export function toolMcpReferences(registry: ResourceRegistry, tools: readonly ToolResource[]): McpToolReference[] {
  const out: McpToolReference[] = [];
  for (const tool of tools) {
    const { spec } = tool;
    if (spec.type !== 'mcp' || !spec.mcpServerRef || !spec.mcpToolName) continue;
    const server = registry.find('McpServer', spec.mcpServerRef, tool.namespace);
    const parsed = registry.find('Tool', tool.key, tool.namespace);
    if (!server || !parsed) continue;
    out.push({ server: server.header.key, tool: spec.mcpToolName, parsed, path: ['spec', 'mcp_tool_name'] });
  }
  return out;
}

/** An UNKNOWN_MCP_TOOL at every reference to a tool its (discovered) server does not offer. */
export function checkMcpReferences(
  references: readonly McpToolReference[],
  offered: Readonly<Record<string, McpToolDescription[]>>,
  servers: Readonly<Record<string, PlanMcpServer>>,
  diagnostics: Diagnostic[],
): void {
  for (const ref of references) {
    const tools = offered[ref.server];
    // Not discovered (failed, already reported): nothing to check against.
    if (!tools || tools.some((t) => sameMcpToolName(t.name, ref.tool))) continue;
    const filter = servers[ref.server]?.toolFilter ?? [];
    const names = tools.map((t) => t.name).join(', ') || 'none';
    diagnostics.push({
      code: 'UNKNOWN_MCP_TOOL',
      severity: 'error',
      message: `McpServer ${ref.server} does not offer tool "${ref.tool}" (it offers${filter.length > 0 ? ' after its tool_filter' : ''}: ${names})`,
      location: valueLocation(ref.parsed.source, ref.path),
      path: [...ref.path],
    });
  }
}

/**
 * The plan with each discovered MCP tool described by its server: description, input
 * schema, the server's own spelling of the tool name, and `discovered: true`. Tools whose
 * server was not discovered, or does not offer them, are left as they were.
 */
export function applyDiscovery(plan: Plan, offered: Readonly<Record<string, McpToolDescription[]>>): Plan {
  const tools: Record<string, PlanTool> = {};
  for (const [key, tool] of Object.entries(plan.tools)) {
    const found = tool.mcp ? offered[tool.mcp.server]?.find((t) => sameMcpToolName(t.name, tool.mcp!.tool)) : undefined;
    tools[key] =
      tool.mcp && found
        ? {
            ...tool,
            description: found.description,
            inputSchema: found.inputSchema,
            mcp: { server: tool.mcp.server, tool: found.name, discovered: true },
          }
        : tool;
  }
  return { ...plan, tools };
}
