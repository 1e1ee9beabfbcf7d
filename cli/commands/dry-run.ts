/**
 * `orch dry-run`: manifests' policies judged against runs already made, before they are
 * rolled out. Each recorded call (model, tool, memory, delegation; delegates' child runs and
 * earlier executions included) is decided again by the policy gate under the plan the
 * manifests compile to for that run's system, and each budget limit is checked against what
 * the calls settled at. Nothing is called or started. Exit 1 when a decision would change.
 */
import type { Command } from 'commander';
import type { PastCall } from '../../contract/past-calls.ts';
import type { Plan } from '../../contract/plan.ts';
import type { BudgetCrossing } from '../../policies/dry-run.ts';
import { CliError, EXIT } from '../io.ts';
import type { CommandContext } from '../main.ts';
import { collect } from '../main.ts';
import { positiveInteger } from '../option-parsers.ts';
import { addConnectionOptions, type ConnectionFlags } from '../connection-options.ts';
import { withOrchClient } from '../deferred.ts';
import { escapeLine } from '../render-text.ts';
import { knownRun } from '../no-such-run.ts';
import { renderDiagnostics } from '../render-diagnostics.ts';
import { readHistoryFile } from '../history-file.ts';

interface DryRunFlags extends ConnectionFlags {
  run: string[];
  file: string[];
  query?: string;
  limit: number;
  override: string[];
  json?: boolean;
}

type Verdict = 'allow' | 'deny' | 'approval_required';

/** A recorded call whose decision the manifests change. */
export interface DryRunChange {
  workflowId: string;
  eventId: number;
  time: string;
  kind: PastCall['kind'];
  agent: string;
  name: string;
  recorded: Verdict;
  verdict: Verdict;
  policy: string | null;
  rule: string | null;
  reason: string;
  /** What a denial would do: end the run (`hard_stop`) or tell the model (`feedback`). */
  onViolation: 'hard_stop' | 'feedback';
}

export interface DryRunBudget {
  workflowId: string;
  eventId: number;
  agent: string;
  name: string;
  limit: BudgetCrossing['limit'];
  value: number;
  used: number;
  policy: string;
  onExhausted: BudgetCrossing['onExhausted'];
}

/** A model call whose answer the plan would have cut. */
export interface DryRunOutputCut {
  workflowId: string;
  eventId: number;
  agent: string;
  name: string;
  /** The most output the plan allows the call, and what it answered with. */
  cap: number;
  output: number;
}

export interface DryRunReport {
  workflowId: string;
  system: string | null;
  calls: number;
  changes: DryRunChange[];
  budgets: DryRunBudget[];
  outputCuts: DryRunOutputCut[];
  /** Why the run could not be judged (its system does not compile, its history is not orch's); else null. */
  notJudged: string | null;
}

function changedCount(report: DryRunReport): number {
  return report.changes.length + report.budgets.length + report.outputCuts.length;
}

export function registerDryRunCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const command = program
    .command('dry-run')
    .description("Judge recorded runs again under the manifests' policies, calling nothing: exit 1 when a call's decision or a budget would change.")
    .argument('<paths...>', 'the manifests as they would be deployed (files or directories)')
    .option('--run <workflow-id>', 'a recorded run (repeatable)', collect, [])
    .option('--file <path>', 'a recorded history, as `temporal workflow show --output json` writes it (repeatable; no server needed)', collect, [])
    .option('--query <filter>', 'every run a Temporal list filter finds, as for `orch runs`')
    .option('--limit <n>', 'with --query: at most this many runs', positiveInteger('--limit'), 100)
    .option('--override <file>', 'manifests that replace same-named resources (repeatable)', collect, [])
    .option('--json', 'print one JSON object per run');
  addConnectionOptions(command).action(async (paths: string[], flags: DryRunFlags) => {
    const sources = [flags.run.length > 0, flags.query !== undefined, flags.file.length > 0].filter(Boolean).length;
    if (sources !== 1) throw new CliError('dry-run against one of: --run WORKFLOW_ID..., --query FILTER, or --file HISTORY.json...', EXIT.usage);
    const [{ compile }, { fetchRunHistories, recordedWorkflowId }, { callsInHistory }, { judgeCall, budgetCrossings, outputCuts }] = await Promise.all([
      import('../../compiler/index.ts'),
      import('../../worker/replay.ts'),
      import('../../client/history-calls.ts'),
      import('../../policies/dry-run.ts'),
    ]);
    const recorded =
      flags.file.length > 0
        ? await Promise.all(
            flags.file.map(async (file) => {
              const history = await readHistoryFile(file);
              const workflowId = recordedWorkflowId(history, file);
              return { workflowId, executions: [{ workflowId, history }] };
            })
          )
        : await withOrchClient(io, flags, async (client) => {
            const ids = flags.run.length > 0 ? flags.run : (await client.listRuns({ query: flags.query!, limit: flags.limit })).filter((run) => run.kind === 'run').map((run) => run.workflowId);
            return Promise.all(ids.map(async (id) => ({ workflowId: id, executions: await knownRun(id, () => fetchRunHistories(client.client, id)) })));
          });
    // One compile per system (and task) the runs ran; a system the manifests cannot build is said once.
    const plans = new Map<string, Promise<Plan | null>>();
    const planFor = (recordedPlan: Plan): Promise<Plan | null> => {
      const system = `${recordedPlan.system.namespace}/${recordedPlan.system.name}`;
      const task = recordedPlan.task ? `${recordedPlan.task.namespace}/${recordedPlan.task.name}` : null;
      const key = `${system}\0${task ?? ''}`;
      if (!plans.has(key)) {
        plans.set(
          key,
          (async () => {
            const withTask = task ? await compile(paths, { overrides: flags.override, task }) : null;
            const compiled = withTask?.plan ? withTask : await compile(paths, { overrides: flags.override, system });
            if (!compiled.plan) {
              io.stderr(renderDiagnostics(compiled.diagnostics));
              io.stderr(`orch: the manifests do not compile for system ${system}: its runs are not judged\n`);
              return null;
            }
            // Judged as the recorded run was started: its task's targeting applies.
            return compiled.plan.task || !recordedPlan.task ? compiled.plan : { ...compiled.plan, task: recordedPlan.task };
          })()
        );
      }
      return plans.get(key)!;
    };

    const reports: DryRunReport[] = [];
    for (const { workflowId, executions } of recorded) {
      const read = executions.map((execution) => callsInHistory(execution.workflowId, execution.history));
      const rootPlan = read.find((execution) => execution.plan)?.plan;
      const calls = read.flatMap((execution) => execution.calls).sort((a, b) => a.time.localeCompare(b.time) || a.eventId - b.eventId);
      const plan = rootPlan ? await planFor(rootPlan) : null;
      if (!rootPlan || !plan) {
        const notJudged = rootPlan ? 'the manifests do not compile for its system' : 'not an orch run (its history holds no plan)';
        reports.push({ workflowId, system: rootPlan?.system.name ?? null, calls: calls.length, changes: [], budgets: [], outputCuts: [], notJudged });
        continue;
      }
      const changes: DryRunChange[] = [];
      for (const call of calls) {
        const judged = judgeCall(plan, call);
        const was: Verdict = call.approved ? 'approval_required' : 'allow';
        if (judged.decision.verdict === was) continue;
        changes.push({
          workflowId: call.workflowId,
          eventId: call.eventId,
          time: call.time,
          kind: call.kind,
          agent: call.agent,
          name: call.name,
          recorded: was,
          verdict: judged.decision.verdict,
          policy: judged.decision.policy,
          rule: judged.decision.rule ?? null,
          reason: judged.decision.reason,
          onViolation: judged.onViolation,
        });
      }
      // A limit the run itself went past at the same call, the same way (a person added budget), is no change.
      const crossingKey = (crossing: BudgetCrossing) => `${crossing.limit}:${crossing.value}:${crossing.policy}:${crossing.onExhausted}:${crossing.call.workflowId}:${crossing.call.eventId}`;
      const before = new Set(budgetCrossings(rootPlan, calls).map(crossingKey));
      const budgets = budgetCrossings(plan, calls)
        .filter((crossing) => !before.has(crossingKey(crossing)))
        .map((crossing) => ({
          workflowId: crossing.call.workflowId,
          eventId: crossing.call.eventId,
          agent: crossing.call.agent,
          name: crossing.call.name,
          limit: crossing.limit,
          value: crossing.value,
          used: crossing.used,
          policy: crossing.policy,
          onExhausted: crossing.onExhausted,
        }));
      const cutBefore = new Set(outputCuts(rootPlan, calls).map((cut) => `${cut.call.workflowId}:${cut.call.eventId}`));
      const cuts = outputCuts(plan, calls)
        .filter((cut) => !cutBefore.has(`${cut.call.workflowId}:${cut.call.eventId}`))
        .map((cut) => ({ workflowId: cut.call.workflowId, eventId: cut.call.eventId, agent: cut.call.agent, name: cut.call.name, cap: cut.cap, output: cut.output }));
      reports.push({ workflowId, system: rootPlan.system.name, calls: calls.length, changes, budgets, outputCuts: cuts, notJudged: null });
    }
    io.stdout(flags.json ? reports.map((report) => `${JSON.stringify(report)}\n`).join('') : renderReports(reports));
    context.exitCode = reports.some((report) => report.notJudged !== null || changedCount(report) > 0) ? EXIT.failed : EXIT.ok;
  });
}

const VERDICT_WORDS: Record<Verdict, string> = { allow: 'allowed', deny: 'denied', approval_required: 'approval required' };

function renderReports(reports: readonly DryRunReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    const name = `${report.workflowId}${report.system ? ` (${report.system})` : ''}`;
    if (report.notJudged !== null) {
      lines.push(`NOT JUDGED  ${name}: ${report.notJudged}`);
      continue;
    }
    const changed = changedCount(report);
    const cuts = report.outputCuts.length > 0 ? `, ${count(report.outputCuts.length, 'answer')} cut` : '';
    lines.push(`${changed > 0 ? 'CHANGES' : 'same   '}  ${name}: ${report.calls} calls, ${count(report.changes.length, 'decision')} and ${count(report.budgets.length, 'budget limit')} changed${cuts}`);
    const where = (item: { workflowId: string; eventId: number }) => (item.workflowId === report.workflowId ? `#${item.eventId}` : `${item.workflowId} #${item.eventId}`);
    for (const change of report.changes) {
      const effect = change.verdict === 'deny' ? (change.onViolation === 'hard_stop' ? ': the run would fail here' : ': the model would be told') : change.verdict === 'approval_required' ? ': it would wait for a person' : '';
      const by = change.policy ? ` by ${change.policy}${change.rule ? ` ${change.rule}` : ''}` : '';
      lines.push(`  ${where(change)}  ${change.agent}  ${change.kind} ${change.name}: ${VERDICT_WORDS[change.recorded]} → ${VERDICT_WORDS[change.verdict]}${by}${effect} — ${change.reason}`);
    }
    for (const budget of report.budgets) {
      const effect = budget.onExhausted === 'pause' ? 'the run would pause for a person' : 'the run would fail (BUDGET_EXCEEDED)';
      lines.push(`  ${where(budget)}  ${budget.agent}  ${budget.name}: past ${budget.limit} ${budget.value} of ${budget.policy} (${round(budget.used)} used): ${effect} here or earlier`);
    }
    for (const cut of report.outputCuts) {
      lines.push(`  ${where(cut)}  ${cut.agent}  model ${cut.name}: answered with ${cut.output} output tokens; the plan allows ${cut.cap}: its answer would be cut`);
    }
  }
  const judged = reports.filter((report) => report.notJudged === null);
  const changedRuns = judged.filter((report) => changedCount(report) > 0).length;
  const notJudged = reports.length - judged.length;
  lines.push(`${count(judged.length, 'run')} judged: ${changedRuns} would change, ${judged.length - changedRuns} would not${notJudged > 0 ? `; ${notJudged} not judged` : ''}`);
  return `${lines.map(escapeLine).join('\n')}\n`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}
