/**
 * TaskSchedule: the cron expression and the time zone are checked where they are written (a bad
 * cron field at its own column), task_ref must name a Task, and `compileSchedules` gives each
 * schedule the Plan of its Task template.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, compileSchedules, validate } from '../../compiler/index.ts';
import { cronProblem } from '../../compiler/cron.ts';
import { errorsOf, expectDiagnostic, ORLOJ_CORPUS } from './helpers.ts';

const SYSTEM = `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata:
  name: m
spec:
  provider: mock
---
apiVersion: orloj.dev/v1
kind: Agent
metadata:
  name: writer
spec:
  model_ref: m
  prompt: write
---
apiVersion: orloj.dev/v1
kind: AgentSystem
metadata:
  name: digest
spec:
  agents: [writer]
---
apiVersion: orloj.dev/v1
kind: Task
metadata:
  name: digest-template
spec:
  mode: template
  system: digest
  input:
    topic: risks
  max_turns: 3
`;

/** A TaskSchedule whose spec lines follow; `schedule` is on line 7, `time_zone` on line 8. */
function schedule(cron: string, zone = 'UTC', extra = ''): string {
  return `apiVersion: orloj.dev/v1
kind: TaskSchedule
metadata:
  name: nightly
spec:
  task_ref: digest-template
  schedule: ${cron}
  time_zone: ${zone}
${extra}`;
}

function write(scheduleText: string, system = SYSTEM): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'orch-schedule-'));
  writeFileSync(join(dir, 'system.yaml'), system);
  const file = join(dir, 'schedule.yaml');
  writeFileSync(file, scheduleText);
  return { dir, file };
}

describe('cron expressions', () => {
  it.each([
    '* * * * *',
    '0 9 * * 1',
    '*/15 9-17 * * 1-5',
    '0 0 1,15 * *',
    '30 6 * JAN,jul MON-FRI',
    '0 12 * * 7',
    '0-30/10 * * DEC SUN',
    '  0   9 * * 1 ',
  ])('accepts %j', (cron) => {
    expect(cronProblem(cron)).toBeNull();
  });

  it.each([
    ['0 0 9 * * 1', 10, /6/],
    ['0 9 * *', 0, /4/],
    ['', 0, /0/],
    ['60 * * * *', 0, /out of range/],
    ['0 24 * * *', 2, /out of range/],
    ['0 9 0 * *', 4, /out of range/],
    ['0 9 * 13 *', 6, /out of range/],
    ['0 9 * * 8', 8, /out of range/],
    ['0 9 * * FUNDAY', 8, /not a value/],
    ['0 9 * FOO *', 6, /not a value/],
    ['*/0 * * * *', 2, /step/],
    ['5/10 * * * *', 0, /step needs/],
    ['0 17-9 * * *', 2, /backwards/],
    ['0 9,,10 * * *', 4, /empty/],
    ['0 9 * * MON-', 12, /not a value/],
    ['@daily x y z w', 0, /not a value/],
    ['0 9 * * 1-5/x', 12, /step/],
  ])('rejects %j at offset %i', (cron, offset, message) => {
    const problem = cronProblem(cron);
    expect(problem?.offset).toBe(offset);
    expect(problem?.message).toMatch(message);
  });
});

describe('TaskSchedule diagnostics, located', () => {
  it('a 6-field cron: INVALID_CRON at the sixth field, inside the quotes', async () => {
    const { dir, file } = write(schedule('"0 0 9 * * 1"'));
    const { diagnostics } = await validate([dir]);
    // `  schedule: "` is 13 characters: the value's first character is column 14, the sixth field at offset 10.
    expectDiagnostic(diagnostics, { code: 'INVALID_CRON', file, line: 7, column: 24 });
    expect(errorsOf(diagnostics).map((d) => d.code)).toEqual(['INVALID_CRON']);
  });

  it('an hour out of range in a plain scalar: at that field', async () => {
    const { dir, file } = write(schedule('0 25 * * *'));
    const { diagnostics } = await validate([dir]);
    expectDiagnostic(diagnostics, { code: 'INVALID_CRON', file, line: 7, column: 15 });
  });

  it('a bad weekday name in a single-quoted scalar: at the name', async () => {
    const { dir, file } = write(schedule("'0 9 * * FUNDAY'"));
    const { diagnostics } = await validate([dir]);
    expectDiagnostic(diagnostics, { code: 'INVALID_CRON', file, line: 7, column: 22 });
  });

  it('nonsense: at the start of the text', async () => {
    const { dir, file } = write(schedule('"every monday"'));
    const { diagnostics } = await validate([dir]);
    expectDiagnostic(diagnostics, { code: 'INVALID_CRON', file, line: 7, column: 14 });
  });

  it('a cron that is not a string: INVALID_TYPE at the value', async () => {
    const { dir, file } = write(schedule('[0, 9]'));
    const { diagnostics } = await validate([dir]);
    expectDiagnostic(diagnostics, { code: 'INVALID_TYPE', file, line: 7, column: 13 });
  });

  it.each(['Mars/Olympus', 'america/chicago', 'utc', '+05:00'])('time zone %j: UNKNOWN_TIME_ZONE at the value', async (zone) => {
    const { dir, file } = write(schedule('"0 9 * * 1"', `"${zone}"`));
    const { diagnostics } = await validate([dir]);
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_TIME_ZONE', file, line: 8, column: 14 });
    expect(errorsOf(diagnostics).map((d) => d.code)).toEqual(['UNKNOWN_TIME_ZONE']);
  });

  it('both wrong: both reported', async () => {
    const { dir } = write(schedule('"0 9 * *"', 'Nowhere/Land'));
    const { diagnostics } = await validate([dir]);
    expect(errorsOf(diagnostics).map((d) => d.code).sort()).toEqual(['INVALID_CRON', 'UNKNOWN_TIME_ZONE']);
  });

  it('task_ref to nothing: UNKNOWN_REFERENCE at the reference', async () => {
    const { dir, file } = write(schedule('"0 9 * * 1"').replace('task_ref: digest-template', 'task_ref: no-such-task'));
    const { diagnostics, schedules } = await compileSchedules([dir]);
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_REFERENCE', file, line: 6, column: 13 });
    expect(schedules).toBeNull();
  });

  it('task_ref to an AgentSystem, not a Task: UNKNOWN_REFERENCE', async () => {
    const { dir, file } = write(schedule('"0 9 * * 1"').replace('task_ref: digest-template', 'task_ref: digest'));
    const { diagnostics } = await validate([dir]);
    expectDiagnostic(diagnostics, { code: 'UNKNOWN_REFERENCE', file, line: 6, column: 13 });
  });

  it.each([
    ['concurrency_policy: sometimes', 'INVALID_VALUE', 9, 23],
    ['starting_deadline_seconds: -1', 'INVALID_VALUE', 9, 30],
    ['suspend: "yes"', 'INVALID_TYPE', 9, 12],
    ['cron: "* * * * *"', 'UNKNOWN_FIELD', 9, 3],
  ] as const)('%s: %s', async (line, code, row, column) => {
    const { dir, file } = write(schedule('"0 9 * * 1"', 'UTC', `  ${line}\n`));
    const { diagnostics } = await validate([dir]);
    expectDiagnostic(diagnostics, { code, file, line: row, column });
  });
});

describe('compileSchedules', () => {
  it("gives each schedule Orloj's defaults and the Plan of its Task template", async () => {
    const { dir } = write(schedule('"0 9 * * MON-FRI"', 'Europe/Berlin'));
    const { schedules, diagnostics } = await compileSchedules([dir]);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(schedules).toHaveLength(1);
    const [only] = schedules!;
    expect({ ...only, plan: undefined }).toEqual({
      namespace: 'default',
      name: 'nightly',
      task: 'default/digest-template',
      cron: '0 9 * * MON-FRI',
      timeZone: 'Europe/Berlin',
      suspend: false,
      startingDeadlineSeconds: 300,
      concurrencyPolicy: 'forbid',
      successfulHistoryLimit: 10,
      failedHistoryLimit: 3,
      plan: undefined,
    });
    // The same plan `compile --task` builds: the template's input and max_turns.
    const { plan } = await compile([dir], { task: 'digest-template' });
    expect(only!.plan).toEqual(plan);
    expect(only!.plan.input).toEqual({ topic: 'risks' });
    expect(only!.plan.maxTurns).toBe(3);
  });

  it('a Task that is not a template is an error at task_ref, as in Orloj (a run Task would also run on its own)', async () => {
    const { dir, file } = write(schedule('"0 9 * * 1"'), SYSTEM.replace('mode: template', 'mode: run'));
    const { diagnostics, schedules } = await compileSchedules([dir]);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file, line: 6, column: 13 });
    expect(schedules).toBeNull();
    expect((await validate([dir])).schedules).toEqual([]);
  });

  it('compile and validate return the same schedules compileSchedules does', async () => {
    const { dir } = write(schedule('"0 9 * * 1"'));
    const { schedules } = await compileSchedules([dir]);
    expect((await validate([dir])).schedules).toEqual(schedules);
    expect((await compile([dir], { system: 'digest' })).schedules).toEqual(schedules);
  });

  it('a missing time zone is UTC; 0 deadlines and limits mean "not set", as in Orloj', async () => {
    const text = schedule('"0 9 * * 1"').replace('  time_zone: UTC\n', '') + '  starting_deadline_seconds: 0\n  successful_history_limit: 0\n  concurrency_policy: Replace\n';
    const { dir } = write(text);
    const { schedules } = await compileSchedules([dir]);
    expect(schedules?.[0]).toMatchObject({ timeZone: 'UTC', startingDeadlineSeconds: 300, successfulHistoryLimit: 10, concurrencyPolicy: 'replace' });
  });

  it('compile is unchanged: a TaskSchedule is validated but plays no part in the plan', async () => {
    const { dir } = write(schedule('"0 9 * * 1"'));
    const result = await compile([dir], { system: 'digest' });
    expect(result.plan?.system.name).toBe('digest');
    expect(result.plan?.task).toBeNull();
    expect(result.resources.taskSchedules.map((s) => s.key)).toEqual(['default/nightly']);
    expect(result.diagnostics).toEqual([]);
  });

  it.each(['examples/use-cases/weekly-intelligence-brief', 'testing/scenarios-real/12-schedule-live-flow'])('Orloj corpus %s compiles its schedule', async (relative) => {
    const { schedules, diagnostics } = await compileSchedules([`${ORLOJ_CORPUS}/${relative}`]);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(schedules).toHaveLength(1);
    expect(schedules![0]!.plan.task?.name).toMatch(/template/);
  });
});
