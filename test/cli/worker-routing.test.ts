/**
 * `orch worker --capabilities` / `--worker NAME PATH...` and `orch run` with Task.requirements:
 * bad input is one line naming what is wrong and a non-zero exit, never a stack trace; a
 * worker started from a Worker manifest serves the routed run of another `orch run`.
 */
import { describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { queuePollers } from '../../client/serving-workers.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { diagnosticHeads, fakeCli, orch, singleJson, STACK_FRAME, writeFixtures } from './cli-harness.ts';

const SYSTEM = `apiVersion: orch/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: a }
spec: { model_ref: m }
---
apiVersion: orch/v1
kind: AgentSystem
metadata: { name: s }
spec: { agents: [a] }
---
apiVersion: orch/v1
kind: Task
metadata: { name: t }
spec:
  system: s
  requirements: { region: eu, gpu: true }
`;

const WORKER = `apiVersion: orloj.dev/v1
kind: Worker
metadata: { name: gpu-eu }
spec:
  region: EU
  capabilities: { gpu: true }
`;

function expectOneLine(stderr: string, ...fragments: string[]): void {
  expect(stderr).not.toMatch(STACK_FRAME);
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

describe('orch worker: bad capabilities are usage errors naming the item', () => {
  it.each([
    ['gpu=yes', 'item 1 "gpu=yes"', 'gpu must be true or false'],
    ['region=eu,gpus=true', 'item 2 "gpus=true"', 'unknown key "gpus"'],
    ['region=eu,models=a||b', 'item 2 "models=a||b"', 'none empty'],
    ['max_concurrent_tasks=0', 'item 1', 'positive integer'],
    ['max_concurrent_tasks=1.5', 'item 1', 'positive integer'],
    ['region', 'item 1 "region"', 'key=value'],
    ['region=eu,region=us', 'item 2 "region=us"', 'given twice'],
    ['region=', 'item 1', 'region is empty'],
    [' ', '--capabilities is empty'],
  ])('--capabilities %j', async (value, ...fragments) => {
    const { code, stderr } = await orch(['worker', '--capabilities', value], { temporal: false });
    expect(code).toBe(2);
    expectOneLine(stderr, '--capabilities', ...fragments);
  });

  it('--worker and --capabilities together, and --worker without manifests, are usage errors', async () => {
    const dir = writeFixtures({ 'worker.yaml': WORKER });
    const both = await orch(['worker', dir, '--worker', 'gpu-eu', '--capabilities', 'gpu=true'], { temporal: false });
    expect(both.code).toBe(2);
    expectOneLine(both.stderr, 'exclusive');
    const alone = await orch(['worker', '--worker', 'gpu-eu'], { temporal: false });
    expect(alone.code).toBe(2);
    expectOneLine(alone.stderr, '--worker NAME needs the manifests');
  });

  it('--worker naming no Worker of the manifests says which there are', async () => {
    const dir = writeFixtures({ 'worker.yaml': WORKER });
    const { code, stderr } = await orch(['worker', dir, '--worker', 'cpu'], { temporal: false });
    expect(code).toBe(2);
    expectOneLine(stderr, '--worker cpu', 'default/gpu-eu');
  });

  it('a malformed Worker manifest is a located diagnostic and exit 1', async () => {
    const dir = writeFixtures({ 'worker.yaml': 'apiVersion: orloj.dev/v1\nkind: Worker\nmetadata: { name: w }\nspec:\n  capabilities: { gpu: maybe }\n' });
    const { code, stderr } = await orch(['worker', dir, '--worker', 'w'], { temporal: false });
    expect(code).toBe(1);
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(diagnosticHeads(stderr)).toEqual([`${dir}/worker.yaml:5:24: error INVALID_TYPE`]);
  });

  it('--help documents the syntax', async () => {
    const { code, stdout } = await orch(['worker', '--help'], { temporal: false });
    expect(code).toBe(0);
    expect(stdout).toContain('--capabilities <list>');
    expect(stdout.replace(/\s+/g, ' ')).toContain('region=R,gpu=true|false,models=A|B,max_concurrent_tasks=N');
    expect(stdout).toContain('--worker <name>');
  });
});

describe('orch run with Task.requirements', () => {
  it('nobody serves it: NO_MATCHING_WORKER, exit 1, one line naming the route queue', async () => {
    const dir = writeFixtures({ 'system.yaml': SYSTEM });
    const cli = fakeCli();
    const { code, stderr } = await cli.run(['run', dir, '--task', 't', '--json']);
    expect(code).toBe(1);
    expectOneLine(stderr, 'NO_MATCHING_WORKER', `${cli.taskQueue}/route/region=eu,gpu=true`);
  });

  it('its own worker serves it when --capabilities satisfy the requirements', async () => {
    const dir = writeFixtures({ 'system.yaml': SYSTEM });
    const { code, stdout } = await orch(['run', dir, '--task', 't', '--json', '--capabilities', 'region=eu,gpu=true']);
    expect(code).toBe(0);
    expect(singleJson(stdout).status).toBe('succeeded');
  });

  it('orch worker --worker NAME PATH serves the run another orch run --no-worker starts', async () => {
    const dir = writeFixtures({ 'system.yaml': SYSTEM, 'worker.yaml': WORKER });
    const worker = fakeCli();
    const serving = worker.run(['worker', dir, '--worker', 'gpu-eu']);
    try {
      await expect.poll(() => worker.stderr(), { timeout: 20_000 }).toContain('route queue');
      expect(worker.stderr()).toContain(`"${worker.taskQueue}/route/region=eu,gpu=true"`);
      // The worker prints its queues before its route workers' first polls; wait for those.
      const client = await OrchClient.connect({ address: temporalAddress() });
      try {
        await expect.poll(() => queuePollers(client.client, `${worker.taskQueue}/route/region=eu,gpu=true`), { timeout: 20_000 }).not.toEqual([]);
      } finally {
        await client.close();
      }
      const { code, stdout } = await orch(['run', dir, '--task', 't', '--json', '--no-worker'], { taskQueue: worker.taskQueue });
      expect(code).toBe(0);
      expect(singleJson(stdout).status).toBe('succeeded');
    } finally {
      worker.interrupt();
      expect((await serving).code).toBe(0);
    }
  });
});
