/**
 * What the model is told about each tool. HTTP tools and MCP tools discovered at compile
 * time describe themselves in the plan; other MCP tools are discovered here, with one
 * `listMcpTools` activity per server per run, whose result history keeps for replay.
 */
import { sameMcpToolName, type JsonObject, type Plan } from '../contract/plan.ts';
import type { McpToolDescription } from '../contract/activity-io.ts';
import { RunFailure } from './run-failure.ts';
import type { Effects } from './effects.ts';
import { activitySummary } from '../contract/activity-summaries.ts';

export interface ToolDescription {
  description: string;
  inputSchema: JsonObject;
  /** For MCP tools: the tool's name exactly as its server spells it (`read_file`, not `read-file`). */
  mcpToolName: string | null;
}

const ANY_OBJECT_SCHEMA: JsonObject = { type: 'object' };


export class ToolCatalog {
  private readonly plan: Plan;
  private readonly effects: Effects;
  private readonly servers = new Map<string, Promise<McpToolDescription[]>>();

  constructor(plan: Plan, effects: Effects) {
    this.plan = plan;
    this.effects = effects;
  }

  /** The description and input schema of the tool `toolKey`, discovering its MCP server if needed. */
  async describe(toolKey: string, agent: string): Promise<ToolDescription> {
    const tool = this.plan.tools[toolKey];
    if (!tool) throw new RunFailure('TOOL_NOT_FOUND', `tool ${toolKey} is not in the plan`, agent);
    if (!tool.mcp || tool.mcp.discovered) {
      return { description: tool.description, inputSchema: tool.inputSchema ?? ANY_OBJECT_SCHEMA, mcpToolName: tool.mcp?.tool ?? null };
    }
    const offered = await this.discover(tool.mcp.server, agent);
    const found = offered.find((candidate) => sameMcpToolName(candidate.name, tool.mcp!.tool));
    if (!found) {
      throw new RunFailure(
        'TOOL_NOT_FOUND',
        `MCP server ${tool.mcp.server} does not offer tool ${tool.mcp.tool} (it offers: ${offered.map((t) => t.name).join(', ') || 'nothing'})`,
        agent
      );
    }
    return { description: found.description, inputSchema: found.inputSchema, mcpToolName: found.name };
  }

  private discover(serverKey: string, agent: string): Promise<McpToolDescription[]> {
    let listing = this.servers.get(serverKey);
    if (!listing) {
      const server = this.plan.mcpServers[serverKey];
      if (!server) throw new RunFailure('TOOL_NOT_FOUND', `MCP server ${serverKey} is not in the plan`, agent);
      // Shared by every agent of the run: concurrent activations wait on the same discovery.
      listing = this.effects.listMcpTools({ server }, { summary: activitySummary(agent, `discover ${server.id.name}`) });
      this.servers.set(serverKey, listing);
    }
    return listing;
  }
}
