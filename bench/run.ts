/**
 * `npm run bench`: orch side by side with what a user would pick instead, measured in one
 * run, on one machine, against the same model.
 *
 * Per durable step: a pipeline of N agents (each one model call whose answer feeds the
 * next) against a fake OpenAI-compatible model on loopback that answers at once, so only
 * each system's own cost is timed. Four systems, run alternately until steady state
 * (steady-state.ts says how that is checked): a plain loop of model calls (the floor, no
 * durability), LangGraph.js with its SQLite checkpointer saving every step (bench/peers,
 * installed on first use), a bare Temporal workflow of N activities each making the call,
 * and orch. One table: ms per step and orch's ratios to each.
 *
 * Then orch against bare Temporal on shapes only orch's graph has: parallel agents (N entry
 * agents against N no-op activities at once), a fan-out behind a root, and a bounded loop.
 *
 * BENCH_SCALE=1 adds throughput (throughput.ts), for each execution: 500 concurrent 4-agent runs on one worker
 * process, then on two on the same task queue; every run must complete.
 *
 * The server is the embedded dev server as `orch` starts it (SQLite file, the latency
 * settings of dev-server/latency-config.ts); BENCH_SERVER_CONFIG=temporal-defaults starts it
 * with Temporal's defaults for those keys instead, to show what they change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { compile } from '../compiler/index.ts';
import { startDevServer } from '../dev-server/index.ts';
import { TEMPORAL_DEFAULT_DYNAMIC_CONFIG } from '../dev-server/latency-config.ts';
import { OrchClient } from '../client/orch-client.ts';
import { createOrchWorker } from '../worker/index.ts';
import { completeOnce, plainLoop, startFakeModel } from './fake-model.ts';
import { ensurePeersInstalled } from './install-peers.ts';
import type { LangGraphPeer } from './peer-contract.ts';
import { measureSteadyState, median } from './steady-state.ts';
import { measureThroughput } from './throughput.ts';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 10);
/** Recorded rounds of the side-by-side table (each: every system runs `RUNS_PER_ROUND` times). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUNS_PER_ROUND = 5;
const STABLE_ROUNDS = 3;
const STABLE_TOLERANCE = 0.15;
const MAX_WARMUP_ROUNDS = 20;
const SCALE = ['1', 'true', 'yes'].includes(process.env.BENCH_SCALE ?? '');
const SCALE_RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 500);
const SCALE_AGENTS = 4;
const SERVER_CONFIG = process.env.BENCH_SERVER_CONFIG ?? 'orch';
const FANOUT = Number(process.env.BENCH_FANOUT ?? 100);
const FANOUT_ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 7);
const LOOP_TURNS = Number(process.env.BENCH_LOOP_TURNS ?? 200);
const LOOP_ROUNDS = Number(process.env.BENCH_LOOP_ROUNDS ?? 3);

/** How the endpoint's model calls run (ModelEndpoint `execution`): the bench measures both. */
type Execution = 'activity' | 'local';
const EXECUTIONS: readonly Execution[] = ['activity', 'local'];
const executionLine = (execution: Execution) => (execution === 'local' ? '  execution: local\n' : '');
const zeroLatencyEndpoint = (execution: Execution) =>
  `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: zero-latency\nspec:\n  provider: mock\n  default_model: mock-1\n${executionLine(execution)}`;
const agentManifest = (name: string) => `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model_ref: zero-latency\n  prompt: step ${name}\n`;

/** `agents` agents in a chain, each calling the fake model over HTTP (`url`, ending in /v1). */
function pipelineManifests(agents: number, url: string, execution: Execution = 'activity'): string {
  const names = Array.from({ length: agents }, (_, i) => `agent-${i + 1}`);
  const endpoint = `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: zero-latency\nspec:\n  provider: openai-compatible\n  base_url: ${url}\n  default_model: fake\n${executionLine(execution)}`;
  return [
    endpoint,
    ...names.map(agentManifest),
    `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: bench-pipeline\nspec:\n  agents: [${names.join(', ')}]\n  graph:\n${names
      .slice(0, -1)
      .map((name, i) => `    ${name}:\n      next: ${names[i + 1]}\n`)
      .join('')}`,
  ].join('---\n');
}

/** A root agent whose `width` outgoing edges start `width` leaf agents in parallel. */
function fanOutManifests(width: number, execution: Execution): string {
  const leaves = Array.from({ length: width }, (_, i) => `leaf-${i + 1}`);
  return [
    zeroLatencyEndpoint(execution),
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
function parallelManifests(width: number, execution: Execution): string {
  const agents = Array.from({ length: width }, (_, i) => `agent-${i + 1}`);
  return [
    zeroLatencyEndpoint(execution),
    ...agents.map(agentManifest),
    `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: bench-parallel\nspec:\n  agents: [${agents.join(', ')}]\n  graph:\n    ${agents[0]}:\n      edges: []\n`,
  ].join('---\n');
}

/** Two agents in a cycle, bounded by the Task's max_turns: `turns` activations in sequence. */
function loopManifests(turns: number, execution: Execution): string {
  return [
    zeroLatencyEndpoint(execution),
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

const ms = (value: number) => `${value.toFixed(2)} ms`;
const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

async function main(): Promise<void> {
  ensurePeersInstalled((line) => console.log(line));
  // Loaded only now, by a computed path: its packages live in bench/peers/node_modules,
  // installed just above, and the project's type check must not need them.
  const peerModule = new URL('./peers/langgraph-pipeline.ts', import.meta.url).href;
  const { createLangGraphPipeline } = (await import(peerModule)) as LangGraphPeer;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
  const model = await startFakeModel();
  const plan = await compileBench(dir, 'pipeline.yaml', pipelineManifests(AGENTS, model.url));
  const localPlan = await compileBench(dir, 'pipeline-local.yaml', pipelineManifests(AGENTS, model.url, 'local'));
  const scalePlan = await compileBench(dir, 'scale.yaml', pipelineManifests(SCALE_AGENTS, model.url));
  const localScalePlan = await compileBench(dir, 'scale-local.yaml', pipelineManifests(SCALE_AGENTS, model.url, 'local'));
  const shapes = await Promise.all(
    EXECUTIONS.map(async (execution) => ({
      execution,
      fanOut: await compileBench(dir, `fan-out-${execution}.yaml`, fanOutManifests(FANOUT, execution)),
      parallel: await compileBench(dir, `parallel-${execution}.yaml`, parallelManifests(FANOUT, execution)),
      loop: await compileBench(dir, `loop-${execution}.yaml`, loopManifests(LOOP_TURNS, execution)),
    }))
  );
  const langGraph = createLangGraphPipeline({ url: model.url, agents: AGENTS, dbFile: join(dir, 'langgraph.sqlite') });

  if (SERVER_CONFIG !== 'orch' && SERVER_CONFIG !== 'temporal-defaults') throw new Error('BENCH_SERVER_CONFIG is `orch` (default) or `temporal-defaults`');
  const server = await startDevServer({
    port: 0,
    ui: false,
    // A SQLite file, as `orch` keeps its runs: durable, like the peer's checkpoints.
    dbFile: join(dir, 'temporal.db'),
    log: () => {},
    // Temporal's defaults: the dynamic config keys as Temporal ships them, SQLite's rollback journal.
    ...(SERVER_CONFIG === 'temporal-defaults' ? { dynamicConfig: TEMPORAL_DEFAULT_DYNAMIC_CONFIG, sqlitePragmas: {} } : {}),
  });
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
      activities: { noop: async (step: number) => step, completion: completeOnce },
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
    const timed = async (work: () => Promise<unknown>) => {
      const start = performance.now();
      await work();
      return performance.now() - start;
    };
    await Promise.all([
      orchWorker.runUntil(async () => {
        await bareWorker.runUntil(async () => {
          const callsBefore = model.calls;
          const systems = [
            { name: 'floor', settles: false, run: () => timed(() => plainLoop(model.url, AGENTS, 'bench input')) },
            { name: 'langgraph', settles: false, run: () => timed(() => langGraph.run('bench input')) },
            {
              name: 'bare',
              settles: true,
              run: () =>
                timed(() => client.workflow.execute('barePipeline', { taskQueue: 'bench-bare', workflowId: `bare-${crypto.randomUUID()}`, args: [model.url, AGENTS, 'bench input'] })),
            },
            {
              name: 'bareLocal',
              settles: true,
              run: () =>
                timed(() => client.workflow.execute('barePipelineLocal', { taskQueue: 'bench-bare', workflowId: `bare-${crypto.randomUUID()}`, args: [model.url, AGENTS, 'bench input'] })),
            },
            { name: 'orch', settles: true, run: () => timeOrchPlan(plan, AGENTS) },
            { name: 'orchLocal', settles: true, run: () => timeOrchPlan(localPlan, AGENTS) },
          ];
          const steady = await measureSteadyState(systems, {
            runsPerRound: RUNS_PER_ROUND,
            rounds: ROUNDS,
            stableRounds: STABLE_ROUNDS,
            tolerance: STABLE_TOLERANCE,
            maxWarmupRounds: MAX_WARMUP_ROUNDS,
          });
          const totalRuns = (steady.warmupRounds + ROUNDS) * RUNS_PER_ROUND * systems.length;
          // Every run of every system made all its model calls (none skipped, none cached).
          if (model.calls - callsBefore !== totalRuns * AGENTS) throw new Error(`the fake model saw ${model.calls - callsBefore} calls, expected ${totalRuns * AGENTS}`);
          if ((await langGraph.checkpoints('bench-1')) < AGENTS) throw new Error('LangGraph did not checkpoint every step');
          const perStep = Object.fromEntries(Object.entries(steady.medians).map(([name, runMs]) => [name, runMs / AGENTS])) as Record<string, number>;
          report(
            `per durable step: ${AGENTS}-agent pipeline, same fake OpenAI-compatible model over HTTP (zero delay), server on a SQLite file with ${SERVER_CONFIG === 'orch' ? "orch's latency settings" : "Temporal's defaults"} (BENCH_SERVER_CONFIG=${SERVER_CONFIG}); ` +
              `median of ${ROUNDS}×${RUNS_PER_ROUND} runs each, alternating, after ${steady.warmupRounds} warm-up rounds ` +
              `(${steady.stable ? 'steady' : 'NOT steady'}: last ${STABLE_ROUNDS} round medians of bare and orch within ${STABLE_TOLERANCE * 100}%; ` +
              `spreads ${Object.entries(steady.spread).map(([name, spread]) => `${name} ${(spread * 100).toFixed(0)}%`).join(', ')})`,
            [
              ['plain loop (floor)', `${ms(perStep.floor!)} per step`],
              ['LangGraph.js + SQLite', `${ms(perStep.langgraph!)} per step`],
              ['bare Temporal', `${ms(perStep.bare!)} per step (activities)`],
              ['bare Temporal, local', `${ms(perStep.bareLocal!)} per step (local activities)`],
              ['orch', `${ms(perStep.orch!)} per step (execution: activity, the default)`],
              ['orch, local', `${ms(perStep.orchLocal!)} per step (execution: local)`],
              ['orch / LangGraph', `${ratio(perStep.orch!, perStep.langgraph!)}; local ${ratio(perStep.orchLocal!, perStep.langgraph!)} (target ≤ 1.0)`],
              ['orch / floor', `${ratio(perStep.orch!, perStep.floor!)}; local ${ratio(perStep.orchLocal!, perStep.floor!)}`],
              ['orch / bare', `${ratio(perStep.orch!, perStep.bare!)}; local / bare local ${ratio(perStep.orchLocal!, perStep.bareLocal!)}`],
              ['bare local / LangGraph', `${ratio(perStep.bareLocal!, perStep.langgraph!)} (Temporal's own floor)`],
            ],
            {
              benchmark: 'per-step',
              agents: AGENTS,
              serverConfig: SERVER_CONFIG,
              rounds: ROUNDS,
              runsPerRound: RUNS_PER_ROUND,
              warmupRounds: steady.warmupRounds,
              steady: steady.stable,
              warmupSpread: Object.fromEntries(Object.entries(steady.spread).map(([name, spread]) => [name, Number(spread.toFixed(3))])),
              msPerStep: Object.fromEntries(Object.entries(perStep).map(([name, value]) => [name, Number(value.toFixed(2))])),
              orchOverLangGraph: ratio(perStep.orch!, perStep.langgraph!),
              orchOverFloor: ratio(perStep.orch!, perStep.floor!),
              orchOverBare: ratio(perStep.orch!, perStep.bare!),
              orchLocalOverLangGraph: ratio(perStep.orchLocal!, perStep.langgraph!),
              orchLocalOverBareLocal: ratio(perStep.orchLocal!, perStep.bareLocal!),
              bareLocalOverLangGraph: ratio(perStep.bareLocal!, perStep.langgraph!),
              target: 1.0,
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
          for (const shape of shapes) {
            const mode = `execution: ${shape.execution}`;
            await compare(
              `fan-out (${mode})`,
              () => timeOrchPlan(shape.parallel, FANOUT),
              () => timeBareWorkflow('bareFanOut', FANOUT),
              `${FANOUT} parallel agents vs ${FANOUT} parallel no-op activities`,
              1.3
            );
            await compare(
              `fan-out-behind-root (${mode})`,
              () => timeOrchPlan(shape.fanOut, FANOUT + 1),
              () => timeBareWorkflow('bareRootFanOut', FANOUT),
              `root agent → ${FANOUT} leaf agents vs one no-op → ${FANOUT} parallel no-ops`
            );

            // Loop: time per turn of a max_turns-bounded two-agent cycle, against sequential no-ops.
            const loop = await alternate(LOOP_ROUNDS, 0, () => timeOrchPlan(shape.loop, LOOP_TURNS), () => timeBareWorkflow('bareSequence', LOOP_TURNS));
            const perTurn = loop.orch / LOOP_TURNS;
            const perSequentialActivity = loop.bare / LOOP_TURNS;
            const loopRatio = Number((perTurn / perSequentialActivity).toFixed(3));
            report(
              `loop (${mode}): ${LOOP_TURNS}-turn ping/pong cycle (max_turns) vs ${LOOP_TURNS} sequential no-op activities, ${LOOP_ROUNDS} rounds, medians`,
              [
                ['orch per turn', `${perTurn.toFixed(2)} ms`],
                ['bare per no-op activity', `${perSequentialActivity.toFixed(2)} ms`],
                ['ratio', `${loopRatio}`],
              ],
              {
                benchmark: 'loop',
                execution: shape.execution,
                turns: LOOP_TURNS,
                rounds: LOOP_ROUNDS,
                orchPerTurnMs: Number(perTurn.toFixed(2)),
                barePerActivityMs: Number(perSequentialActivity.toFixed(2)),
                ratio: loopRatio,
              }
            );
          }

          if (SCALE) {
            for (const [execution, runPlan] of [['activity', scalePlan], ['local', localScalePlan]] as const) {
              const throughput = [];
              for (const workers of [1, 2]) {
                const taskQueue = `bench-scale-${execution}-${workers}`;
                throughput.push({ workers, ...(await measureThroughput({ address: server.address, taskQueue, orch: new OrchClient({ client, taskQueue }), plan: runPlan, agents: SCALE_AGENTS, runs: SCALE_RUNS, workers })) });
              }
              report(
                `throughput (execution: ${execution}): ${SCALE_RUNS} concurrent ${SCALE_AGENTS}-agent runs, all completed`,
                throughput.map((t) => [`${t.workers} worker process${t.workers > 1 ? 'es' : ''}`, `${t.runsPerSecond.toFixed(1)} runs/s (${t.seconds.toFixed(1)} s)`]),
                { benchmark: 'throughput', execution, runs: SCALE_RUNS, agents: SCALE_AGENTS, results: throughput.map((t) => ({ workers: t.workers, runsPerSecond: Number(t.runsPerSecond.toFixed(2)), completed: t.completed })) }
              );
            }
          }
        });
      }),
    ]);
    await connection.close();
    await nativeConnection.close();
  } finally {
    langGraph.close();
    await server.stop();
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
