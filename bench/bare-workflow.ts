/** The baseline: a bare Temporal workflow that runs N no-op activities one after another. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: number): Promise<number> }>({ startToCloseTimeout: '1 minute' });

export async function bareSequence(steps: number): Promise<number> {
  let last = 0;
  for (let step = 0; step < steps; step++) last = await noop(step);
  return last;
}
