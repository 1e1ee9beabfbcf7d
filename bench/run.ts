/**
 * `npm run bench`: orch's overhead against bare Temporal, measured in one run on one server.
 *
 * Pipeline overhead: the per-agent-step time of an N-agent pipeline (mock model, zero
 * latency) divided by the per-activity time of a bare workflow running N no-op activities.
 * Runs alternate between the two so machine noise hits both alike; medians are reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { compile } from '../compiler/index.ts';
import { startDevServer } from '../cli/temporal-server.ts';
import { OrchClient } from '../client.ts';
import { createOrchWorker } from '../worker.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WARMUP = 3;

function pipelineManifests(agents: number): string {
  const names = Array.from({ length: agents }, (_, i) => `agent-${i + 1}`);
  const docs = [
    `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: zero-latency\nspec:\n  provider: mock\n  default_model: mock-1\n`,
    ...names.map((name) => `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model_ref: zero-latency\n  prompt: step ${name}\n`),
    `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: bench-pipeline\nspec:\n  agents: [${names.join(', ')}]\n  graph:\n${names
      .slice(0, -1)
      .map((name, i) => `    ${name}:\n      next: ${names[i + 1]}\n`)
      .join('')}`,
  ];
  return docs.join('---\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
  writeFileSync(join(dir, 'pipeline.yaml'), pipelineManifests(AGENTS));
  const { plan, diagnostics } = await compile([join(dir, 'pipeline.yaml')]);
  if (!plan) throw new Error(`bench manifests do not compile: ${JSON.stringify(diagnostics)}`);

  const server = await startDevServer({ port: 0, ui: false, dbFile: null, log: () => {} });
  try {
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const orchWorker = await createOrchWorker({ connection: nativeConnection, taskQueue: 'bench-orch' });
    const bareWorker = await Worker.create({
      connection: nativeConnection,
      taskQueue: 'bench-bare',
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('./bare-workflow.ts', import.meta.url)),
        logger: new DefaultLogger('WARN'),
      }),
      activities: { noop: async (step: number) => step },
    });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const orch = new OrchClient({ client, taskQueue: 'bench-orch' });

    const timeOrch = async () => {
      const start = performance.now();
      const outcome = await (await orch.start(plan)).result();
      if (outcome.status !== 'succeeded') throw new Error(`bench run failed: ${outcome.failure?.message}`);
      return performance.now() - start;
    };
    const timeBare = async () => {
      const start = performance.now();
      await client.workflow.execute('bareSequence', {
        taskQueue: 'bench-bare',
        workflowId: `bare-${crypto.randomUUID()}`,
        args: [AGENTS],
      });
      return performance.now() - start;
    };

    await Promise.all([
      orchWorker.runUntil(async () => {
        await bareWorker.runUntil(async () => {
          for (let i = 0; i < WARMUP; i++) {
            await timeOrch();
            await timeBare();
          }
          const orchTimes: number[] = [];
          const bareTimes: number[] = [];
          for (let i = 0; i < ROUNDS; i++) {
            orchTimes.push(await timeOrch());
            bareTimes.push(await timeBare());
          }
          const perAgentStep = median(orchTimes) / AGENTS;
          const perActivity = median(bareTimes) / AGENTS;
          const report = {
            benchmark: 'pipeline-overhead',
            agents: AGENTS,
            rounds: ROUNDS,
            orchPerAgentStepMs: Number(perAgentStep.toFixed(2)),
            barePerActivityMs: Number(perActivity.toFixed(2)),
            ratio: Number((perAgentStep / perActivity).toFixed(3)),
            target: 1.15,
          };
          console.log(`pipeline overhead: ${AGENTS}-agent pipeline, ${ROUNDS} rounds, medians`);
          console.log(`  orch per agent step    ${report.orchPerAgentStepMs} ms`);
          console.log(`  bare per no-op activity ${report.barePerActivityMs} ms`);
          console.log(`  ratio                  ${report.ratio} (target ≤ ${report.target})`);
          console.log(JSON.stringify(report));
        });
      }),
    ]);
    await connection.close();
    await nativeConnection.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
