/** `orch audit` against the shared test dev server, on a run `orch run` made. */
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeCli, orch, singleJson, STACK_FRAME } from './cli-harness.ts';

let workflowId: string;
let runId: string;

beforeAll(async () => {
  const cli = fakeCli();
  const { code, stdout } = await cli.run(['run', 'examples/research-pipeline', '--json']);
  expect(code).toBe(0);
  ({ workflowId, runId } = singleJson(stdout));
});

describe('orch audit', () => {
  it('--format jsonl prints one JSON event per line', async () => {
    const { code, stdout, stderr } = await orch(['audit', workflowId, '--format', 'jsonl']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter((line) => line !== '');
    expect(stdout.endsWith('\n')).toBe(true);
    const events = lines.map((line) => JSON.parse(line));
    expect(events.map((e) => e.kind)).toEqual(['run.started', 'model.call', 'model.call', 'model.call', 'run.completed']);
    expect(events.filter((e) => e.kind === 'model.call').map((e) => e.agent)).toEqual(['planner', 'researcher', 'writer']);
    for (const event of events) {
      expect(event).toMatchObject({ eventId: expect.any(Number), runId, outcome: 'succeeded', code: null });
      expect(new Date(event.time).toISOString()).toBe(event.time);
    }
  });

  it('defaults to a table with a header row and one row per event; --run-id selects the run', async () => {
    const { code, stdout } = await orch(['audit', workflowId, '--run-id', runId]);
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((line) => line !== '');
    expect(rows[0]!.split(/\s+/)).toEqual(['time', 'kind', 'agent', 'subject', 'outcome', 'code', 'reason']);
    expect(rows).toHaveLength(6);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[1])).toEqual(['run.started', 'model.call', 'model.call', 'model.call', 'run.completed']);
    expect(rows[2]!.split(/\s+/).slice(2, 6)).toEqual(['planner', expect.any(String), 'succeeded', '-']);
    // The reason column, with the reason the trail records (here: none).
    const reasonAt = rows[0]!.indexOf('reason');
    expect(rows[2]!.slice(reasonAt)).toBe('-');
    // Columns line up: every row has its kind at the header's offset.
    const kindAt = rows[0]!.indexOf('kind');
    for (const row of rows.slice(1)) expect(row.slice(kindAt)).toMatch(/^(run|model)\./);
  });

  it('an unknown workflow exits 1 with one line and no stack trace', async () => {
    const { code, stdout, stderr } = await orch(['audit', 'no-such-workflow-7c1e']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^orch: /);
    expect(stderr).toContain('no-such-workflow-7c1e');
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('an unknown --format is a usage error (exit 2)', async () => {
    const { code } = await orch(['audit', workflowId, '--format', 'xml']);
    expect(code).toBe(2);
  });
});
