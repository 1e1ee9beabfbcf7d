/**
 * Markdown for the Web UI's "current details" of a run: a headline, one list item per agent,
 * and what the run waits for (approvals, a budget pause) with how to decide it.
 *
 * A list, not a table: the Web UI renders GFM tables without borders or padding, so their
 * columns run together; one line per agent with ` · ` between its facts reads well there
 * (nested lists render inline too, so every fact stays on its agent's line).
 */
import type { Plan } from '../contract/plan.ts';
import type { AgentProgress, ApprovalRequest, BudgetRequest, RunProgress, UsageTotals } from '../contract/run-io.ts';
import { decideApprovalUpdate, resolveBudgetUpdate } from '../contract/wire-names.ts';

/** What the run waits for people on, as the approval and budget desks were asked. */
export interface RunWaits {
  approvals: readonly ApprovalRequest[];
  budget: BudgetRequest | null;
}

const SEPARATOR = ' · ';

/** `n thing(s)`, pluralized. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** USD with enough digits to show a cheap call's cost (`$0.0000561`), never in exponent form. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  // Three significant digits, at most nine decimals (the ledger rounds to 1e-9).
  const decimals = Math.min(9, Math.max(2, 2 - Math.floor(Math.log10(usd))));
  return `$${usd.toFixed(decimals).replace(/(\.\d*?[1-9])0+$/, '$1')}`;
}

/** A cost in markdown: its dollar sign escaped (the Web UI reads two on a line as math). */
function money(usd: number): string {
  return formatUsd(usd).replace('$', '\\$');
}

/** Cost, and cost per model call, when pricing is known; nothing when it is not. */
function costFacts(usage: UsageTotals, priced: boolean): string[] {
  if (!priced) return usage.modelCalls > 0 ? ['cost unknown (no pricing)'] : [];
  if (usage.modelCalls === 0) return [];
  const perCall = usage.modelCalls > 1 ? ` (${money(usage.costUsd / usage.modelCalls)}/call)` : '';
  return [`${money(usage.costUsd)}${perCall}`];
}

function agentPriced(plan: Plan, agent: string): boolean {
  const model = plan.agents[agent]?.model;
  return model !== undefined && (plan.models[model]?.pricing ?? null) !== null;
}

/** Markdown inline code that no backtick in `text` can break out of. */
function code(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  const fence = clean.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ' ' : ''}${clean}${fence === '``' ? ' ' : ''}${fence}`;
}

/** Text shown as written: markdown's punctuation escaped (a rule's `[0]` is not a link, two `$` are not math). */
function plain(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~$]/g, '\\$&');
}

/** One line of prose from free text (a reason): no line breaks, no markup. */
function prose(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return plain(line.length > max ? `${line.slice(0, max - 1)}…` : line);
}

function agentLine(plan: Plan, agent: string, state: AgentProgress): string {
  const usage = state.usage;
  const facts = [
    state.phase,
    ...(state.activations > 0 ? [count(state.activations, 'activation')] : []),
    ...(state.step > 0 ? [`step ${state.step}`] : []),
    count(usage.totalTokens, 'token'),
    count(usage.modelCalls, 'model call'),
    ...costFacts(usage, agentPriced(plan, agent)),
    `${count(usage.toolCalls, 'tool call')}${usage.toolErrors > 0 ? ` (${usage.toolErrors} failed)` : ''}`,
    ...(state.lastAction ? [`last: ${prose(state.lastAction, 120)}`] : []),
  ];
  return `- **${plain(agent)}** — ${facts.join(SEPARATOR)}`;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function approvalLines(request: ApprovalRequest): string[] {
  const rule = request.rule ? `, rule ${code(request.rule)}` : '';
  return [
    `**Waiting for approval ${code(request.id)}**: agent **${plain(request.agent)}** calls tool ${code(request.tool)}, required by ${code(request.policy)}${rule}${request.reason ? ` — ${prose(request.reason)}` : ''}`,
    '',
    `Decide it with the workflow update ${code(decideApprovalUpdate.name)} (Web UI: More Actions → Send an Update; \`"decision": "deny"\` to refuse):`,
    '',
    '```json',
    json({ id: request.id, decision: 'approve', decidedBy: 'your-name', reason: 'optional' }),
    '```',
    '',
  ];
}

function budgetLines(request: BudgetRequest): string[] {
  const where = request.run ? ` in ${code(request.run)}` : '';
  return [
    `**Paused on its budget**${where}: agent **${plain(request.agent)}** hit the ${code(request.limit)} limit of ${code(request.policy)} — ${prose(request.reason)}`,
    '',
    `Resolve it with the workflow update ${code(resolveBudgetUpdate.name)} (Web UI: More Actions → Send an Update): add budget with \`"action": "top_up"\` and any of \`tokens\`, \`costUsd\`, \`modelCalls\`, \`toolCalls\`, or finish with \`"action": "wrap_up"\`:`,
    '',
    '```json',
    json({ action: 'top_up', [request.limit]: request.limit === 'costUsd' ? 1 : 1000, decidedBy: 'your-name', reason: 'optional' }),
    '```',
    '',
  ];
}

/**
 * `title` heads it: the system's name for a run, `delegate <agent> of <system>` for a
 * delegate's child run, which lists only `onlyAgent` (the others do not run in it).
 */
export function renderProgressMarkdown(plan: Plan, progress: RunProgress, waits?: RunWaits, title: string = plan.system.name, onlyAgent?: string): string {
  const total = progress.usage;
  const priced = Object.keys(plan.agents).some((agent) => agentPriced(plan, agent));
  const headline = [
    `**${plain(title)}**`,
    progress.phase,
    count(total.totalTokens, 'token'),
    count(total.modelCalls, 'model call'),
    ...(priced ? [money(total.costUsd)] : []),
    count(total.toolCalls, 'tool call'),
  ].join(SEPARATOR);
  const waiting = [...(waits?.approvals ?? []).flatMap(approvalLines), ...(waits?.budget ? budgetLines(waits.budget) : [])];
  return [
    headline,
    '',
    ...waiting,
    ...Object.entries(progress.agents)
      .filter(([agent]) => onlyAgent === undefined || agent === onlyAgent)
      .map(([agent, state]) => agentLine(plan, agent, state)),
  ]
    .join('\n')
    .slice(0, 20_000);
}
