/**
 * Ctrl-C (a real SIGINT) while `orch run` waits with its in-process worker: exit 130, one line
 * saying the run goes on and how to wait for it, no stack trace, and the run still RUNNING.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { waitFor } from '../helpers/processes.ts';
import { spawnOrch } from './cli-process.ts';
import { STACK_FRAME, writeFixtures } from './cli-harness.ts';

let connection: Connection;
let client: Client;
let model: OpenAICompatibleServer;
const home = mkdtempSync(join(tmpdir(), 'orch-interrupt-'));

beforeAll(async () => {
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
  model = await startOpenAICompatibleServer({ respond: () => ({ text: 'slow answer', delayMs: 20_000 }) });
});
afterAll(async () => {
  await model?.close();
  await connection?.close();
  rmSync(home, { recursive: true, force: true });
});

function slowSystem(): string {
  return writeFixtures({
    'system.yaml': [
      `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: slow\nspec:\n  provider: openai-compatible\n  base_url: ${model.url}\n  default_model: slow-1\n`,
      `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: solo\nspec:\n  model_ref: slow\n  prompt: You are solo.\n`,
      `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: slow-system\nspec:\n  agents: [solo]\n`,
    ].join('---\n'),
  });
}

describe('Ctrl-C during orch run', () => {
  it('exits 130 with the in-process worker, says the run goes on, and the run is still running', async () => {
    const workflowId = `interrupted-${randomUUID()}`;
    const before = model.requests.length;
    const orch = spawnOrch(['run', slowSystem(), '--workflow-id', workflowId, '--input', 'question=hi'], { ORCH_HOME: home, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' });
    // The model call is in flight: the worker is busy when Ctrl-C comes.
    await waitFor(() => model.requests.length > before, 30_000, 'the model call');
    orch.child.kill('SIGINT');
    // Well before the model's answer (20 s) would end the run.
    const code = await Promise.race([orch.exited, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 10_000))]);
    expect(code).toBe(130);
    expect(orch.stderr()).toContain(`orch result ${workflowId}`);
    // Its queue is its own (no other worker takes its calls): the way to go on names it.
    const { taskQueue } = await client.workflow.getHandle(workflowId).describe();
    expect(taskQueue).toMatch(/^orch-run-[0-9a-f]{8}$/);
    expect(orch.stderr()).toContain(`orch worker --task-queue ${taskQueue}`);
    expect(orch.stderr()).not.toMatch(STACK_FRAME);
    expect(orch.stderr()).not.toMatch(/Not running|Current state/);
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    await client.workflow.getHandle(workflowId).terminate('test over');
  }, 60_000);

  it('orch worker drains on Ctrl-C and exits 0', async () => {
    const worker = spawnOrch(['worker', '--task-queue', `interrupt-worker-${randomUUID()}`], { ORCH_HOME: home });
    await waitFor(() => worker.stderr().includes('worker polling'), 30_000, 'the worker to poll');
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(0);
    expect(worker.stderr()).not.toMatch(/Not running|Current state/);
    expect(worker.stderr()).not.toMatch(STACK_FRAME);
  }, 60_000);
});
