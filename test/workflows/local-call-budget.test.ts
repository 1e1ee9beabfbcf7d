import { describe, expect, it } from 'vitest';
import { LOCAL_ANSWERS_PER_TASK_BYTES, LocalCallBudget, MAX_LOCAL_ANSWER_BYTES } from '../../workflows/local-call-budget.ts';

describe('the answers one workflow task gathers from local calls', () => {
  const perTask = Math.floor(LOCAL_ANSWERS_PER_TASK_BYTES / MAX_LOCAL_ANSWER_BYTES);

  it('run locally while every call in flight could still answer in full; past that, as activities', async () => {
    const budget = new LocalCallBudget(() => 7);
    const releases: Array<() => void> = [];
    const ran: string[] = [];
    const calls = Array.from({ length: perTask + 3 }, () =>
      budget.run(
        () => new Promise<string>((resolve) => releases.push(() => resolve('local'))).then((how) => (ran.push(how), how)),
        async () => (ran.push('activity'), 'activity')
      )
    );
    await Promise.resolve();
    expect(releases).toHaveLength(perTask);
    releases.forEach((release) => release());
    const how = await Promise.all(calls);
    expect(how.filter((h) => h === 'local')).toHaveLength(perTask);
    expect(how.filter((h) => h === 'activity')).toHaveLength(3);
  });

  it('counts what answered in this task, and starts again in the next', async () => {
    let task = 1;
    const budget = new LocalCallBudget(() => task);
    const big = 'x'.repeat(MAX_LOCAL_ANSWER_BYTES - 100);
    const answers: string[] = [];
    for (let i = 0; i < perTask + 1; i++) answers.push(await budget.run(async () => big, async () => 'activity'));
    // Answers gathered so far leave no room for another that could be as large.
    expect(answers.filter((a) => a === 'activity').length).toBeGreaterThan(0);
    task = 2;
    expect(await budget.run(async () => 'small', async () => 'activity')).toBe('small');
  });
});
