/**
 * `npm run bench`: orch's overhead against bare Temporal, measured in one run on one server.
 *
 * Pipeline overhead: the per-agent-step time of an N-agent pipeline (mock model, zero
 * latency) divided by the per-activity time of a bare workflow running N no-op activities.
 * Runs alternate between the two so machine noise hits both alike; medians are reported.
 *
 * Parallel agents (the fan-out target): N agents that all start at once (N entry agents),
 * against a bare workflow that runs N no-op activities in parallel (wall time of the whole
 * run, ratio of medians).
 *
 * Fan-out behind a root: a root agent with N outgoing edges to N leaf agents, against a bare
 * workflow that runs one no-op and then N at once (the same shape).
 *
 * Loop: a two-agent cycle bounded by `max_turns` T; its time per turn against the
 * per-activity time of a bare workflow running T no-op activities one after another.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { compile } from '../compiler/index.ts';
import { startDevServer } from '../dev-server/index.ts';
import { OrchClient } from '../client/orch-client.ts';
import { createOrchWorker } from '../worker/index.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WARMUP = 3;
const FANOUT = Number(process.env.BENCH_FANOUT ?? 100);
const FANOUT_ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 7);
const LOOP_TURNS = Number(process.env.BENCH_LOOP_TURNS ?? 200);
const LOOP_ROUNDS = Number(process.env.BENCH_LOOP_ROUNDS ?? 3);

const ZERO_LATENCY_ENDPOINT = `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: zero-latency\nspec:\n  provider: mock\n  default_model: mock-1\n`;
const agentManifest = (name: string) => `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model_ref: zero-latency\n  prompt: step ${name}\n`;

function pipelineManifests(agents: number): string {
  const names = Array.from({ length: agents }, (_, i) => `agent-${i + 1}`);
  return [
    ZERO_LATENCY_ENDPOINT,
    ...names.map(agentManifest),
    `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: bench-pipeline\nspec:\n  agents: [${names.join(', ')}]\n  graph:\n${names
      .slice(0, -1)
      .map((name, i) => `    ${name}:\n      next: ${names[i + 1]}\n`)
      .join('')}`,
  ].join('---\n');
}

/** A root agent whose `width` outgoing edges start `width` leaf agents in parallel. */
function fanOutManifests(width: number): string {
  const leaves = Array.from({ length: width }, (_, i) => `leaf-${i + 1}`);
  return [
    ZERO_LATENCY_ENDPOINT,
    agentManifest('root'),
    ...leaves.map(agentManifest),
    `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: bench-fan-out\nspec:\n  agents: [root, ${leaves.join(', ')}]\n  graph:\n    root:\n      edges:\n${leaves
      .map((leaf) => `        - to: ${leaf}\n`)
      .join('')}`,
  ].join('---\n');
}

/**
 * `width` agents with no edges: all are entry agents, started at once. (A system with no
 * graph at all is a chain in declaration order, so the graph names one agent, edgeless.)
 */
function parallelManifests(width: number): string {
  const agents = Array.from({ length: width }, (_, i) => `agent-${i + 1}`);
  return [
    ZERO_LATENCY_ENDPOINT,
    ...agents.map(agentManifest),
    `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: bench-parallel\nspec:\n  agents: [${agents.join(', ')}]\n  graph:\n    ${agents[0]}:\n      edges: []\n`,
  ].join('---\n');
}

/** Two agents in a cycle, bounded by the Task's max_turns: `turns` activations in sequence. */
function loopManifests(turns: number): string {
  return [
    ZERO_LATENCY_ENDPOINT,
    agentManifest('ping'),
    agentManifest('pong'),
    `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: bench-loop\nspec:\n  agents: [ping, pong]\n  graph:\n    ping:\n      next: pong\n    pong:\n      next: ping\n`,
    `apiVersion: orch/v1\nkind: Task\nmetadata:\n  name: bench-loop-task\nspec:\n  system: bench-loop\n  max_turns: ${turns}\n`,
  ].join('---\n');
}

async function compileBench(dir: string, file: string, manifests: string) {
  writeFileSync(join(dir, file), manifests);
  const { plan, diagnostics } = await compile([join(dir, file)]);
  if (!plan) throw new Error(`bench manifests ${file} do not compile: ${JSON.stringify(diagnostics)}`);
  return plan;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs orch and bare alternately, so machine noise hits both alike: `warmup` unrecorded
 * pairs, then `rounds` recorded ones. Returns the median of each.
 */
async function alternate(rounds: number, warmup: number, orch: () => Promise<number>, bare: () => Promise<number>) {
  for (let i = 0; i < warmup; i++) {
    await orch();
    await bare();
  }
  const orchTimes: number[] = [];
  const bareTimes: number[] = [];
  for (let i = 0; i < rounds; i++) {
    orchTimes.push(await orch());
    bareTimes.push(await bare());
  }
  return { orch: median(orchTimes), bare: median(bareTimes) };
}

/** Prints a benchmark: a title, aligned `label value` lines, then the result as one JSON line. */
function report(title: string, lines: Array<[string, string]>, result: object): void {
  console.log(title);
  for (const [label, value] of lines) console.log(`  ${label.padEnd(24)}${value}`);
  console.log(JSON.stringify(result));
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
  const plan = await compileBench(dir, 'pipeline.yaml', pipelineManifests(AGENTS));
  const fanOutPlan = await compileBench(dir, 'fan-out.yaml', fanOutManifests(FANOUT));
  const parallelPlan = await compileBench(dir, 'parallel.yaml', parallelManifests(FANOUT));
  const loopPlan = await compileBench(dir, 'loop.yaml', loopManifests(LOOP_TURNS));

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

    const timeOrchPlan = async (runPlan: typeof plan, activations: number) => {
      const start = performance.now();
      const outcome = await (await orch.start(runPlan)).result();
      if (outcome.status !== 'succeeded') throw new Error(`bench run failed: ${outcome.failure?.message}`);
      if (outcome.activations.length !== activations) {
        throw new Error(`bench run of ${runPlan.system.name} had ${outcome.activations.length} activations, expected ${activations}`);
      }
      return performance.now() - start;
    };
    const timeBareWorkflow = async (workflowType: 'bareSequence' | 'bareFanOut' | 'bareRootFanOut', size: number) => {
      const start = performance.now();
      await client.workflow.execute(workflowType, {
        taskQueue: 'bench-bare',
        workflowId: `bare-${crypto.randomUUID()}`,
        args: [size],
      });
      return performance.now() - start;
    };
    await Promise.all([
      orchWorker.runUntil(async () => {
        await bareWorker.runUntil(async () => {
          const pipeline = await alternate(ROUNDS, WARMUP, () => timeOrchPlan(plan, AGENTS), () => timeBareWorkflow('bareSequence', AGENTS));
          const perAgentStep = pipeline.orch / AGENTS;
          const perActivity = pipeline.bare / AGENTS;
          const ratio = Number((perAgentStep / perActivity).toFixed(3));
          report(
            `pipeline overhead: ${AGENTS}-agent pipeline, ${ROUNDS} rounds, medians`,
            [
              ['orch per agent step', `${perAgentStep.toFixed(2)} ms`],
              ['bare per no-op activity', `${perActivity.toFixed(2)} ms`],
              ['ratio', `${ratio} (target ≤ 1.15)`],
            ],
            {
              benchmark: 'pipeline-overhead',
              agents: AGENTS,
              rounds: ROUNDS,
              orchPerAgentStepMs: Number(perAgentStep.toFixed(2)),
              barePerActivityMs: Number(perActivity.toFixed(2)),
              ratio,
              target: 1.15,
            }
          );

          // Wall time of whole runs, orch against bare; medians and their ratio.
          const compare = async (name: string, runOrch: () => Promise<number>, runBare: () => Promise<number>, describe: string, target?: number) => {
            const runs = await alternate(FANOUT_ROUNDS, 1, runOrch, runBare);
            const ratio = Number((runs.orch / runs.bare).toFixed(3));
            report(
              `${name}: ${describe}, ${FANOUT_ROUNDS} rounds, medians`,
              [
                ['orch run', `${runs.orch.toFixed(1)} ms`],
                ['bare run', `${runs.bare.toFixed(1)} ms`],
                ['ratio', `${ratio}${target ? ` (target ≤ ${target})` : ''}`],
              ],
              {
                benchmark: name,
                width: FANOUT,
                rounds: FANOUT_ROUNDS,
                orchRunMs: Number(runs.orch.toFixed(1)),
                bareRunMs: Number(runs.bare.toFixed(1)),
                ratio,
                ...(target ? { target } : {}),
              }
            );
          };
          await compare(
            'fan-out',
            () => timeOrchPlan(parallelPlan, FANOUT),
            () => timeBareWorkflow('bareFanOut', FANOUT),
            `${FANOUT} parallel agents vs ${FANOUT} parallel no-op activities`,
            1.5
          );
          await compare(
            'fan-out-behind-root',
            () => timeOrchPlan(fanOutPlan, FANOUT + 1),
            () => timeBareWorkflow('bareRootFanOut', FANOUT),
            `root agent → ${FANOUT} leaf agents vs one no-op → ${FANOUT} parallel no-ops`
          );

          // Loop: time per turn of a max_turns-bounded two-agent cycle, against sequential no-ops.
          const loop = await alternate(LOOP_ROUNDS, 0, () => timeOrchPlan(loopPlan, LOOP_TURNS), () => timeBareWorkflow('bareSequence', LOOP_TURNS));
          const perTurn = loop.orch / LOOP_TURNS;
          const perSequentialActivity = loop.bare / LOOP_TURNS;
          const loopRatio = Number((perTurn / perSequentialActivity).toFixed(3));
          report(
            `loop: ${LOOP_TURNS}-turn ping/pong cycle (max_turns) vs ${LOOP_TURNS} sequential no-op activities, ${LOOP_ROUNDS} rounds, medians`,
            [
              ['orch per turn', `${perTurn.toFixed(2)} ms`],
              ['bare per no-op activity', `${perSequentialActivity.toFixed(2)} ms`],
              ['ratio', `${loopRatio}`],
            ],
            {
              benchmark: 'loop',
              turns: LOOP_TURNS,
              rounds: LOOP_ROUNDS,
              orchPerTurnMs: Number(perTurn.toFixed(2)),
              barePerActivityMs: Number(perSequentialActivity.toFixed(2)),
              ratio: loopRatio,
            }
          );
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
