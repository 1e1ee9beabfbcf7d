/**
 * `orch logs`: a run's audit events from its history; `--follow` prints each as it is written
 * (a call when it starts and when it ends, a wait for a person when it begins) and returns when
 * the run ends, across continue-as-new.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, planOf } from '../helpers/plan-builder.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { MOCK_MODEL } from '../helpers/plan-builder.ts';
import { waitFor } from '../helpers/processes.ts';
import { fakeCli, orch, STACK_FRAME } from './cli-harness.ts';

let harness: Harness;
let model: OpenAICompatibleServer;
let release: (() => void) | null = null;
beforeAll(async () => {
  harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
  // The second agent's call waits until the test lets it answer.
  model = await startOpenAICompatibleServer({
    respond: async (request) => {
      if (JSON.stringify(request.body).includes('You are second.')) await new Promise<void>((resolve) => (release = resolve));
      return { text: 'fine', usage: { promptTokens: 5, completionTokens: 1 } };
    },
  });
});
afterAll(async () => {
  release?.();
  await harness?.stop();
  await model?.close();
});

describe('orch logs', () => {
  it('--follow prints each event as it happens and returns when the run ends; without it, what is there', async () => {
    const endpoint = { ...MOCK_MODEL, id: { namespace: 'default', name: 'remote' }, provider: 'openai-compatible' as const, baseUrl: model.url, model: 'remote-1' };
    const plan = planOf([agent('first', { model: 'default/remote' }), agent('second', { model: 'default/remote' })], [['first', 'second']], { models: { 'default/remote': endpoint } });
    const run = await harness.client.start(plan, { continueAsNewAfterEvents: 8 });
    const cli = fakeCli();
    const following = cli.run(['logs', run.workflowId, '--follow']);
    // While the second call is in flight, the first has been printed as it ended, the second as it started.
    await waitFor(() => /model\.call {2}second {2}remote-1 {2}allowed/.test(cli.stdout()), 20_000, 'the second call to show').catch((error) => {
      throw new Error(`${error}\nstdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`);
    });
    expect(cli.stdout()).toMatch(/run\.started {2}- {2}test-system {2}succeeded/);
    expect(cli.stdout()).toMatch(/model\.call {2}first {2}remote-1 {2}succeeded/);
    expect(cli.stdout()).not.toMatch(/run\.completed/);
    // Scheduled is not yet asked: the model must have the request before it may answer.
    await waitFor(() => release !== null, 20_000, 'the second request');
    release!();
    const { code } = await following;
    expect(code).toBe(0);
    const lines = cli.stdout().trim().split('\n');
    expect(lines.at(-1)).toMatch(/ run\.completed {2}- /);
    expect(lines.filter((line) => / model\.call {2}second .* succeeded/.test(line))).toHaveLength(1);

    // What it followed, less the calls shown as they started, is what the whole history says.
    const whole = await orch(['logs', run.workflowId]);
    expect(lines.filter((line) => !/ (model\.call|tool\.call|delegation) .* allowed$/.test(line))).toEqual(whole.stdout.trim().split('\n'));
    expect(lines.filter((line) => / run\.continued /.test(line)).length).toBeGreaterThan(0);

    const once = await orch(['logs', run.workflowId, '--json']);
    expect(once.code).toBe(0);
    const kinds = once.stdout.trim().split('\n').map((line) => JSON.parse(line).kind);
    expect(kinds[0]).toBe('run.started');
    expect(kinds).toContain('model.call');
  });

  it('an unknown run: exit 1, one line', async () => {
    const { code, stderr } = await orch(['logs', `no-such-run-${Date.now()}`]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/: no such run\n$/);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});
