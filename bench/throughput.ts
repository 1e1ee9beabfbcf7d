/**
 * Throughput (BENCH_SCALE=1): `runs` concurrent runs of a 4-agent pipeline started at once,
 * first on one worker, then on two workers polling the same task queue. Each worker is its
 * own process (as deployed: one per core or machine), so a second one adds CPU rather than
 * sharing the first one's event loop. Every run must succeed with every activation, or the
 * benchmark fails: throughput that loses runs is not throughput.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../contract/plan.ts';
import type { OrchClient } from '../client/orch-client.ts';

const workerScript = fileURLToPath(new URL('./throughput-worker.ts', import.meta.url));

async function startWorker(address: string, taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [workerScript, address, taskQueue], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a throughput worker exited (${code}) before it was ready`)));
    lines.on('line', (line) => line === 'ready' && resolve());
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Runs per second for `runs` concurrent runs of `plan` on `workers` worker processes. */
export async function measureThroughput(o: { address: string; taskQueue: string; orch: OrchClient; plan: Plan; agents: number; runs: number; workers: number }): Promise<{ runsPerSecond: number; seconds: number; completed: number }> {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < o.workers; i++) children.push(await startWorker(o.address, o.taskQueue));
    const start = performance.now();
    const handles = await Promise.all(Array.from({ length: o.runs }, () => o.orch.start(o.plan)));
    const outcomes = await Promise.all(handles.map((handle) => handle.result()));
    const seconds = (performance.now() - start) / 1000;
    const completed = outcomes.filter((outcome) => outcome.status === 'succeeded' && outcome.activations.length === o.agents).length;
    if (completed !== o.runs) throw new Error(`throughput on ${o.workers} worker(s): ${completed} of ${o.runs} runs completed with all ${o.agents} activations`);
    return { runsPerSecond: o.runs / seconds, seconds, completed };
  } finally {
    await Promise.all(children.map(stopWorker));
  }
}
