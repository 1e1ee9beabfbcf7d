/** Markdown for the Web UI's "current details" of a run: one row per agent. */
import type { Plan } from '../contract/plan.ts';
import type { RunProgress } from '../contract/run-io.ts';

export function renderProgressMarkdown(plan: Plan, progress: RunProgress): string {
  const rows = Object.entries(progress.agents).map(
    ([agent, state]) =>
      `| ${agent} | ${state.phase} | ${state.activations} | ${state.step} | ${state.usage.totalTokens} | ${state.usage.toolCalls} (${state.usage.toolErrors} failed) | ${state.lastAction ?? ''} |`
  );
  return [
    `**${plan.system.name}** · ${progress.phase} · ${progress.usage.totalTokens} tokens · ${progress.usage.modelCalls} model calls · ${progress.usage.toolCalls} tool calls`,
    '',
    '| agent | state | activations | step | tokens | tool calls | last action |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
