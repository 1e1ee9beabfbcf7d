/**
 * Live progress of a run while the CLI waits on it: a redrawn table on a terminal, plain
 * lines (one per change) when output is piped, so logs stay readable.
 */
import type { AgentProgress, RunProgress } from '../contract/run-io.ts';
import { escapeLine } from './render-text.ts';

export interface ProgressView {
  update(progress: RunProgress): void;
  /** Leaves the terminal in a clean state before the result is printed. */
  finish(): void;
}

function describeTool(tool: NonNullable<AgentProgress['lastTool']>): string {
  if (tool.error) return `${tool.name} failed: ${tool.error}`;
  return `${tool.name} ${tool.durationMs === null ? 'done' : `${tool.durationMs}ms`}`;
}

function describeAgent(state: AgentProgress): string {
  const parts: string[] = [state.phase];
  if (state.step > 0 && state.phase === 'running') parts.push(`step ${state.step}`);
  if (state.lastAction && state.phase === 'running') parts.push(state.lastAction);
  if (state.lastTool) parts.push(`last tool ${describeTool(state.lastTool)}`);
  if (state.usage.totalTokens > 0) parts.push(`${state.usage.totalTokens} tokens`);
  if (state.usage.toolErrors > 0) parts.push(`${state.usage.toolErrors} tool errors`);
  return parts.join(' · ');
}

export function createProgressView(write: (text: string) => void, isTTY: boolean): ProgressView {
  if (!isTTY) {
    const last = new Map<string, string>();
    return {
      update(progress) {
        for (const [agent, state] of Object.entries(progress.agents)) {
          if (state.phase === 'waiting') continue;
          const line = describeAgent(state);
          if (last.get(agent) === line) continue;
          last.set(agent, line);
          // Tool errors and names come from outside: one progress line must stay one line.
          write(`${escapeLine(`[${agent}] ${line}`)}\n`);
        }
      },
      finish() {},
    };
  }
  let drawnLines = 0;
  return {
    update(progress) {
      // Escaped before measuring, and so that the frame is exactly as many lines as it counts.
      const agents = Object.entries(progress.agents).map(([name, state]) => [escapeLine(name), state] as const);
      const width = Math.max(...agents.map(([name]) => name.length), 5);
      const lines = agents.map(([agent, state]) => `  ${agent.padEnd(width)}  ${escapeLine(describeAgent(state))}`);
      lines.push(`  ${'total'.padEnd(width)}  ${progress.usage.totalTokens} tokens · ${progress.usage.modelCalls} model calls`);
      // Move up over the previous frame and redraw it line by line.
      const up = drawnLines > 0 ? `\x1b[${drawnLines}A` : '';
      write(up + lines.map((line) => `\x1b[2K${line}\n`).join(''));
      drawnLines = lines.length;
    },
    finish() {
      drawnLines = 0;
    },
  };
}
