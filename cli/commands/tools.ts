/**
 * `orch tools`: the tools agents can call, as the model will see them. MCP servers are
 * asked for their tools (`tools/list`), so this also checks that every server starts and
 * offers what the agents reference.
 */
import type { Command } from 'commander';
import { hasErrors } from '../../compiler/diagnostics.ts';
import { generatedToolName } from '../../contract/plan.ts';
import type { McpToolDescription } from '../../contract/activity-io.ts';
import { EXIT } from '../io.ts';
import { collect, type CommandContext } from '../main.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { escapeLine } from '../render-text.ts';
import { validateWithDiscovery } from '../deferred.ts';

interface ToolListing {
  name: string;
  type: 'http' | 'mcp';
  source: string;
  description: string;
  inputSchema: unknown;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

export function registerToolsCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  program
    .command('tools')
    .description('List the tools in the manifests: HTTP tools, and the tools each MCP server offers (it is started and asked).')
    .argument('<paths...>', 'manifest files or directories')
    .option('--override <file>', 'manifests that replace same-named resources (repeatable)', collect, [])
    .option('--json', 'print the tools as JSON')
    .action(async (paths: string[], flags: { override: string[]; json?: boolean }) => {
      const result = await validateWithDiscovery(paths, flags.override, io.env);
      io.stderr(renderDiagnostics(result.diagnostics));
      const listing: ToolListing[] = [];
      for (const tool of result.resources.tools) {
        if (tool.spec.type !== 'http') continue;
        listing.push({
          name: tool.name,
          type: 'http',
          source: tool.spec.endpoint ?? '',
          description: tool.spec.description,
          inputSchema: tool.spec.inputSchema,
        });
      }
      for (const [serverKey, tools] of Object.entries(result.mcpTools)) {
        const server = serverKey.split('/')[1]!;
        for (const tool of tools as McpToolDescription[]) {
          listing.push({
            name: generatedToolName(server, tool.name),
            type: 'mcp',
            source: `${serverKey} (${tool.name})`,
            description: tool.description,
            inputSchema: tool.inputSchema,
          });
        }
      }
      if (flags.json) {
        io.stdout(`${JSON.stringify({ tools: listing, diagnostics: result.diagnostics })}\n`);
      } else {
        const width = Math.max(4, ...listing.map((t) => t.name.length));
        for (const tool of listing) {
          // Names and descriptions come from manifests and MCP servers: escaped, one tool per line.
          io.stdout(`${escapeLine(`${tool.name.padEnd(width)}  ${tool.type.padEnd(4)}  ${tool.source}${tool.description ? `  ${firstLine(tool.description)}` : ''}`)}\n`);
        }
        if (listing.length === 0) io.stdout('no tools\n');
      }
      context.exitCode = hasErrors(result.diagnostics) ? EXIT.failed : EXIT.ok;
    });
}
