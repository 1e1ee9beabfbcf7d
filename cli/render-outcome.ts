/** A finished run for people: status, output, usage per agent, and where to look in the Web UI. */
import type { RunOutcome } from '../client/orch-client.ts';
import { escapeBlock, escapeLine } from './render-text.ts';

/** The run's output as lines of its own: a model's newlines stay, its other control characters do not. */
function formatOutput(output: unknown): string {
  if (output === null || output === undefined) return '(none)';
  // JSON.stringify leaves C1 controls, bidi controls and line separators as they are.
  return escapeBlock(typeof output === 'string' ? output : JSON.stringify(output, null, 2));
}

function formatUsd(amount: number): string {
  return amount === 0 ? '-' : `$${amount.toFixed(6)}`;
}

export function webUiLink(uiUrl: string | null, namespace: string, workflowId: string, runId: string): string | null {
  if (!uiUrl) return null;
  const base = uiUrl.replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/**
 * A finished run for people. Names, failure messages and output come from manifests, tools and
 * models: every line is escaped (output keeps its own newlines), so none can forge another.
 */
export function renderOutcome(outcome: RunOutcome, link: string | null): string {
  const lines: string[] = [];
  lines.push(`run ${outcome.workflowId} ${outcome.status}`);
  if (outcome.failure) lines.push(`failure ${outcome.failure.type}: ${outcome.failure.message}`);
  if (outcome.failure?.deadLettered) lines.push(`dead-lettered: retries spent (${outcome.runAttempts} run attempt${outcome.runAttempts === 1 ? '' : 's'})`);
  if (outcome.activations.some((a) => a.turnLimitReached)) lines.push('a branch ended at the turn limit (Task max_turns)');
  if (outcome.wrappedUp) {
    const why = outcome.wrappedUp.reason ? `: ${outcome.wrappedUp.reason}` : '';
    lines.push(`wrapped up by ${outcome.wrappedUp.by}${why} (the budget ran out; agents answered with what they had, nothing new started)`);
  }
  if (outcome.lateArrivals.length > 0) lines.push(`late arrivals (after a quorum fired): ${outcome.lateArrivals.map((l) => `${l.from} → ${l.agent}`).join(', ')}`);
  const output = outcome.status === 'succeeded' ? formatOutput(outcome.output) : null;
  const rows = Object.entries(outcome.usage.byAgent).map(([agent, u]) => [
    escapeLine(agent),
    String(u.modelCalls),
    String(u.toolCalls),
    String(u.inputTokens),
    String(u.outputTokens),
    String(u.totalTokens),
    formatUsd(u.costUsd),
  ]);
  const t = outcome.usage.total;
  rows.push(['total', String(t.modelCalls), String(t.toolCalls), String(t.inputTokens), String(t.outputTokens), String(t.totalTokens), formatUsd(t.costUsd)]);
  const header = ['agent', 'model calls', 'tool calls', 'input tokens', 'output tokens', 'total tokens', 'cost (USD)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const safe = lines.map(escapeLine);
  if (output !== null) safe.push('', 'Output:', output === '' ? '(empty)' : output);
  safe.push('', 'Usage:', format(header), ...rows.map(format));
  if (link) safe.push('', escapeLine(`Web UI: ${link}`));
  return `${safe.join('\n')}\n`;
}
