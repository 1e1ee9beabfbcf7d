/**
 * Local model calls' answers reach history together, as markers in the completion of the
 * workflow task that ran them, and Temporal refuses a completion over 4 MiB (it then
 * terminates the run). So what one workflow task's local calls may answer is bounded: a call
 * starts only while the answers the task has gathered, plus the most every call in flight
 * could answer, stay within the budget; otherwise it waits for the next workflow task, which
 * a 1 ms timer brings once the calls in flight are in. Deterministic: a workflow task is told
 * apart by the history length it started at, and sizes are those of the recorded answers.
 */
import { MAX_MODEL_RESPONSE_BYTES } from '../contract/activity-io.ts';
import { jsonBytes } from './payload-size.ts';

/** What one workflow task's local answers may add up to: well inside the 4 MiB of a completion. */
export const LOCAL_ANSWERS_PER_TASK_BYTES = 3 * 1024 * 1024;
/** The most one answer can be: the reply limit, plus its usage, references and echo. */
export const MAX_LOCAL_ANSWER_BYTES = MAX_MODEL_RESPONSE_BYTES + 32 * 1024;

export class LocalCallBudget {
  private task = -1;
  private answered = 0;
  private inFlight = 0;
  private boundary: Promise<void> | null = null;
  private readonly taskOf: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /** `taskOf`: the current workflow task's history length at its start; `sleep`: a durable timer. */
  constructor(taskOf: () => number, sleep: (ms: number) => Promise<void>) {
    this.taskOf = taskOf;
    this.sleep = sleep;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    while (!this.fits()) {
      this.boundary ??= this.sleep(1).finally(() => {
        this.boundary = null;
      });
      await this.boundary;
    }
    this.inFlight++;
    try {
      const answer = await call();
      this.sync();
      this.answered += jsonBytes(answer);
      return answer;
    } finally {
      this.inFlight--;
    }
  }

  private fits(): boolean {
    this.sync();
    // The first call of a task always starts: alone, an answer fits.
    return this.answered + (this.inFlight + 1) * MAX_LOCAL_ANSWER_BYTES <= LOCAL_ANSWERS_PER_TASK_BYTES || (this.answered === 0 && this.inFlight === 0);
  }

  private sync(): void {
    const task = this.taskOf();
    if (task !== this.task) {
      this.task = task;
      this.answered = 0;
    }
  }
}
