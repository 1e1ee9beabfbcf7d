/**
 * The Web UI summary of every activity orch schedules: `<agent> · <what>`. The workflow writes
 * it; the audit reads the agent back from it (MCP discovery carries no agent in its input).
 */
const SEPARATOR = ' · ';

export function activitySummary(agent: string, what: string): string {
  return `${agent}${SEPARATOR}${what}`;
}

/** The agent a summary names, or null. */
export function agentOfActivitySummary(summary: string | undefined): string | null {
  const agent = summary?.split(SEPARATOR)[0]?.trim();
  return agent ? agent : null;
}
