/**
 * What the matrix expects of every Orloj corpus folder (Orloj's README tables and its
 * `real-gate-*` Makefile checks), and which matrix file proves it. A folder on disk without
 * an entry here, or an entry without a test in its file, fails the matrix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { corpusFolders } from './orloj-corpus.ts';

export type MatrixFile = 'graphs' | 'tools' | 'triggers';

export const MATRIX: Record<string, { file: MatrixFile; expects: string }> = {
  'testing/scenarios/01-pipeline': { file: 'graphs', expects: 'succeeds; planner, research, writer in that order, each fed its upstream' },
  'testing/scenarios/02-hierarchical': { file: 'graphs', expects: 'the editor runs once, after both worker branches (wait_for_all)' },
  'testing/scenarios/03-loop-max-turns': { file: 'graphs', expects: 'the manager/research cycle stops at max_turns and succeeds' },
  'testing/scenarios/04-governance-deny': { file: 'tools', expects: 'the tool call is denied (role lacks the permissions), fail closed, the tool never called' },
  'testing/scenarios/05-retry-deadletter': { file: 'triggers', expects: 'the timing-out agent is retried through the budget, then dead-lettered' },
  'testing/scenarios-real/01-pipeline': { file: 'graphs', expects: 'real-gate-pipeline: ≥3 model calls in order, RECOMMENDATION and NEXT_ACTIONS in the output' },
  'testing/scenarios-real/02-hierarchical': { file: 'graphs', expects: 'real-gate-hier: both workers hand off to the editor, MERGED_BRANCHES: research,social' },
  'testing/scenarios-real/03-loop-max-turns': { file: 'graphs', expects: 'real-gate-loop: ≥4 agent messages, bounded by max_turns, LOOP_STATE in the output' },
  'examples/blueprints/pipeline': { file: 'graphs', expects: 'planner, research, writer in that order' },
  'examples/blueprints/hierarchical': { file: 'graphs', expects: 'leads in parallel, the editor once after both workers' },
  'examples/blueprints/swarm-loop': { file: 'graphs', expects: 'the coordinator/scouts cycle stops at max_turns 4; every agent twice' },
  'examples/use-cases/cross-functional-pmo': { file: 'graphs', expects: 'hierarchy with a wait_for_all editor that merges both branches' },
  'examples/use-cases/roadmap-synthesis-swarm': { file: 'graphs', expects: 'the swarm loop stops at max_turns 4 and succeeds' },
  'testing/scenarios-real/04-tool-call-smoke': { file: 'tools', expects: 'real-gate-tool: one tool call to /tool/smoke, TOOL_USED: yes, STUB_ENDPOINT: smoke, HEALTH: healthy' },
  'testing/scenarios-real/05-tool-decision': { file: 'tools', expects: 'real-gate-tool-decision: the use task calls the tool once, the no-use task none' },
  'testing/scenarios-real/08-tool-auth-and-contract': { file: 'tools', expects: 'real-gate-tool-auth: the keyed call succeeds, zero tool errors, AUTH_PATH/CONTRACT_PATH/EVIDENCE markers' },
  'testing/scenarios-real/09-governance-real-deny': { file: 'tools', expects: 'real-gate-governance-deny: not succeeded, a permission denial, zero successful tool calls' },
  'testing/scenarios-real/10-tool-retry-recovery': { file: 'tools', expects: 'real-gate-tool-retry: a tool error, then a successful call, RECOVERY_STATUS and ATTEMPT=2' },
  'testing/scenarios-real/13-multi-tool-select': { file: 'tools', expects: 'each of the three tasks calls exactly the tools its task_type needs' },
  'testing/scenarios-real/14-mcp-tool-smoke': { file: 'tools', expects: 'real-gate-mcp: tool_filter leaves exactly echo and get-sum; both called; marker and 42' },
  'testing/scenarios-real/15-hierarchical-incident-tools': { file: 'tools', expects: 'real-gate-hier-tool: lookup and calculate per branch, both handoffs, item-7842 and 42 merged' },
  'testing/scenarios-real/17-tool-approval-live': { file: 'tools', expects: 'real-gate-tool-approval: waits for approval, nothing called; approved, one call, APPROVAL_FLOW: completed' },
  'testing/scenarios-real/06-memory-shared-handoff': { file: 'triggers', expects: 'real-gate-memory-shared: research writes, the writer searches and reads, zero tool errors' },
  'testing/scenarios-real/07-memory-persistent-reuse': { file: 'triggers', expects: 'real-gate-memory-reuse: the query Task recalls what the seed Task stored' },
  'testing/scenarios-real/11-webhook-live-flow': { file: 'triggers', expects: 'real-gate-webhook: a signed delivery starts one run that writes webhook/<id>; a duplicate and a bad signature start none' },
  'testing/scenarios-real/12-schedule-live-flow': { file: 'triggers', expects: 'real-gate-schedule: the TaskSchedule, triggered through Temporal, runs and writes schedule/last-run' },
  'testing/scenarios-real/16-kitchen-sink': { file: 'triggers', expects: 'real-gate-kitchen: five branches, six tool calls, the retry stub hit twice; memory seed/query; webhook; schedule' },
  'examples/use-cases/event-driven-webhook': { file: 'triggers', expects: 'a signed delivery runs the pipeline with the payload; a duplicate starts nothing' },
  'examples/use-cases/weekly-intelligence-brief': { file: 'triggers', expects: 'the Task runs the pipeline; its TaskSchedule, triggered, produces a run' },
};

/** A folder's test, or `todo: <why>` for an expectation orch cannot meet yet. */
export type MatrixRunner = (() => Promise<void>) | `todo: ${string}`;

/**
 * Defines one concurrent test per folder of `file`; fails when `runners` and the table
 * disagree, so no folder can be dropped from the matrix quietly.
 */
export function defineMatrix(file: MatrixFile, runners: Record<string, MatrixRunner>, timeoutMs = 60_000): void {
  const mine = Object.keys(MATRIX).filter((folder) => MATRIX[folder]!.file === file).sort();
  // The runs mostly wait (timers, backoff, the dev server's dispatch), so all of a file's run at once.
  vi.setConfig({ maxConcurrency: mine.length + 1 });
  describe.concurrent(`Orloj corpus matrix (${file})`, () => {
    it('has a test for each of its folders and for no other', () => {
      expect(Object.keys(runners).sort()).toEqual(mine);
    });
    // In the order the file lists them: the longest first, so that the others overlap it.
    for (const folder of Object.keys(runners).filter((f) => mine.includes(f))) {
      const runner = runners[folder];
      const name = `${folder}: ${MATRIX[folder]!.expects}`;
      if (typeof runner === 'string') it.todo(`${name} (${runner})`);
      else it(name, runner, timeoutMs);
    }
  });
}

/** The table covers exactly the folders on disk, and each file it names exists (and runs {@link defineMatrix}). */
export function expectMatrixCoversCorpus(): void {
  expect(Object.keys(MATRIX).sort()).toEqual(corpusFolders().sort());
  for (const file of new Set(Object.values(MATRIX).map((entry) => entry.file))) {
    const path = `test/integration/orloj-corpus-${file}.test.ts`;
    expect(existsSync(path), path).toBe(true);
    expect(readFileSync(path, 'utf8')).toMatch(new RegExp(`defineMatrix\\(\\s*'${file}'`));
  }
}
