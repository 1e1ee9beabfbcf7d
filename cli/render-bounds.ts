/**
 * A run's worst case in one line, before it starts (`orch run`, `orch compile`): what the
 * AgentPolicies let it spend at most, and what nothing bounds, naming the agents no limit
 * reaches.
 */
import type { RunBound, RunBounds } from '../policies/bounds.ts';
import { escapeLine } from './render-text.ts';

function part(label: string, bound: RunBound, format: (value: number) => string): string {
  if (bound.value !== null) return `${label} ≤ ${format(bound.value)} (${bound.policy})`;
  const who = bound.unbounded.length > 0 ? `: no limit applies to ${bound.unbounded.join(', ')}` : '';
  return `${label} unbounded${who}`;
}

/** Rounded up: a bound printed lower than it is would not be one. */
function usd(value: number): string {
  if (value >= 1) return `$${(Math.ceil(value * 100 - 1e-9) / 100).toFixed(2)}`;
  const scale = 10 ** (2 - Math.floor(Math.log10(value)));
  return `$${Number((Math.ceil(value * scale - 1e-9) / scale).toPrecision(3))}`;
}

export function renderBounds(bounds: RunBounds): string {
  const parts = [
    part('tokens', bounds.tokens, (n) => String(n)),
    part('cost', bounds.costUsd, usd),
    part('model calls', bounds.modelCalls, (n) => String(n)),
    part('tool calls', bounds.toolCalls, (n) => String(n)),
  ];
  const unpriced = bounds.unpriced.length > 0 ? ` (no pricing, so not in the cost: ${bounds.unpriced.join(', ')})` : '';
  return `${escapeLine(`bounds: ${parts.join(' · ')}${unpriced}`)}\n`;
}
