/**
 * `orch replay`: recorded histories replay against this code; a tampered one fails naming the
 * event where it diverges; a live run is replayed with its delegates' child runs and no model
 * or tool called; `--all --query` replays what a list query finds.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { orch, STACK_FRAME } from './cli-harness.ts';

const HISTORIES = 'test/fixtures/histories';
const recordings = readdirSync(HISTORIES).filter((file) => file.endsWith('.json'));

let harness: Harness;
let model: OpenAICompatibleServer;
beforeAll(async () => {
  harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
  model = await startOpenAICompatibleServer({ respond: () => ({ text: 'written' }) });
});
afterAll(async () => {
  await harness?.stop();
  await model?.close();
});

function tamperedFile(): string {
  const history = JSON.parse(readFileSync(join(HISTORIES, 'research-pipeline.json'), 'utf8'));
  const second = history.events.filter((event: any) => event.activityTaskScheduledEventAttributes)[1];
  second.activityTaskScheduledEventAttributes.activityType.name = 'callTool';
  const file = join(mkdtempSync(join(tmpdir(), 'orch-replay-')), 'tampered.json');
  writeFileSync(file, JSON.stringify(history));
  return file;
}

describe('orch replay', () => {
  it('reproduces every recorded history', async () => {
    expect(recordings.length).toBeGreaterThanOrEqual(6);
    const { code, stdout, stderr } = await orch(['replay', ...recordings.flatMap((file) => ['--file', join(HISTORIES, file)])], { temporal: false });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n').filter((line) => line.startsWith('ok '))).toHaveLength(recordings.length);
    expect(stdout).toContain(`${recordings.length} histories replayed: ${recordings.length} reproduced, 0 not`);
  });

  it('a tampered history fails, naming the event where it diverges', async () => {
    const file = tamperedFile();
    const text = await orch(['replay', '--file', file], { temporal: false });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`DIVERGES    ${file}: at event 11 ACTIVITY_TASK_SCHEDULED callTool: [TMPRL1100] Nondeterminism error`);
    const json = await orch(['replay', '--file', file, '--json'], { temporal: false });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ divergence: { eventId: 11, eventType: 'ACTIVITY_TASK_SCHEDULED', subject: 'callTool', kind: 'nondeterminism' } });
  });

  it('a live run replays with its delegate\'s child run, calling no model, and shows what it did', async () => {
    const file = writeOverride([
      mockEndpoint('default', 'desk', { boss: [{ tool_calls: [{ tool: 'delegate--hand', input: { task: 'write it' } }] }, { text: 'done' }] }),
      { apiVersion: 'orch/v1', kind: 'ModelEndpoint', metadata: { name: 'remote' }, spec: { provider: 'openai-compatible', base_url: model.url, default_model: 'remote-1' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'desk', prompt: 'boss' } },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'remote', prompt: 'hand' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'replayed' }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
    ]);
    const run = await harness.client.start(await compileOk([file]));
    expect((await run.result()).status).toBe('succeeded');
    const calls = model.requests.length;
    const { code, stdout } = await orch(['replay', run.workflowId]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^ok +${run.workflowId} \\(`, 'm'));
    expect(stdout).toMatch(new RegExp(`^ok +${run.workflowId}/hand-1 \\(`, 'm'));
    expect(stdout).toContain('2 histories replayed: 2 reproduced, 0 not');
    expect(stdout).toMatch(/^What it did:\ntime +kind +agent/m);
    expect(stdout).toMatch(/ delegation +boss +hand /);
    expect(model.requests.length).toBe(calls);

    const all = await orch(['replay', '--all', '--query', `WorkflowId = '${run.workflowId}'`, '--json']);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n').map((line) => JSON.parse(line).workflowId)).toEqual([run.workflowId, `${run.workflowId}/hand-1`]);
  });

  it('says what is wrong with what it was given: exit 2 for usage, 1 for a missing file or run', async () => {
    for (const argv of [['replay'], ['replay', 'some-id', '--all'], ['replay', 'some-id', '--query', "WorkflowId = 'x'"]]) {
      const { code, stderr } = await orch(argv, { temporal: false });
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(stderr).not.toMatch(STACK_FRAME);
    }
    expect(await orch(['replay', '--file', '/nonexistent/history.json'], { temporal: false })).toMatchObject({ code: 1, stderr: 'orch: /nonexistent/history.json: no such file\n' });
    const notHistory = join(mkdtempSync(join(tmpdir(), 'orch-replay-')), 'notes.json');
    writeFileSync(notHistory, '{"events": "no"}');
    expect(await orch(['replay', '--file', notHistory], { temporal: false })).toMatchObject({ code: 1, stderr: expect.stringMatching(/^orch: .*notes\.json: not a workflow history/) });
    expect(await orch(['replay', `no-such-run-${Date.now()}`])).toMatchObject({ code: 1, stderr: expect.stringMatching(/: no such run\n$/) });
  });
});
