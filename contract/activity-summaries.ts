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

/** USD per million tokens, as a price list prints it (`$0.15`, `$2.5`). */
function perMillion(usd: number): string {
  return `$${Number(usd.toFixed(4))}`;
}

/**
 * What a model call's summary says: `model <model> · step <n>`, and its price when the
 * endpoint has pricing (`· $0.15/$0.6 per 1M tokens in/out`); the call's cost is in its result
 * and in the run's current details, since a summary is written before the call runs.
 */
export function modelCallWhat(model: { model: string; pricing: { inputPerMillion: number; outputPerMillion: number } | null }, step: number): string {
  const price = model.pricing ? `${SEPARATOR}${perMillion(model.pricing.inputPerMillion)}/${perMillion(model.pricing.outputPerMillion)} per 1M tokens in/out` : '';
  return `model ${model.model}${SEPARATOR}step ${step}${price}`;
}
