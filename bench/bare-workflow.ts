/** The baselines: bare Temporal workflows running no-op activities, in sequence or in parallel. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: number): Promise<number> }>({ startToCloseTimeout: '1 minute' });

export async function bareSequence(steps: number): Promise<number> {
  let last = 0;
  for (let step = 0; step < steps; step++) last = await noop(step);
  return last;
}

/** `width` no-op activities at once, all scheduled in one workflow task. */
export async function bareFanOut(width: number): Promise<number> {
  const results = await Promise.all(Array.from({ length: width }, (_, step) => noop(step)));
  return results.length;
}

/** One no-op, then `width` at once: the shape of a root agent fanning out to its leaves. */
export async function bareRootFanOut(width: number): Promise<number> {
  await noop(-1);
  return bareFanOut(width);
}

/**
 * The pipeline as bare Temporal code: `steps` activities in sequence, each one model call
 * whose answer is the next one's prompt (what an orch pipeline does, without orch).
 */
export async function barePipeline(url: string, steps: number, input: string): Promise<string> {
  const { completion } = proxyActivities<{ completion(url: string, step: number, prompt: string): Promise<string> }>({ startToCloseTimeout: '1 minute' });
  let last = input;
  for (let step = 0; step < steps; step++) last = await completion(url, step, last);
  return last;
}

/** The same pipeline with each model call a local activity: one workflow task for the run. */
export async function barePipelineLocal(url: string, steps: number, input: string): Promise<string> {
  const { completion } = proxyLocalActivities<{ completion(url: string, step: number, prompt: string): Promise<string> }>({ startToCloseTimeout: '1 minute' });
  let last = input;
  for (let step = 0; step < steps; step++) last = await completion(url, step, last);
  return last;
}
