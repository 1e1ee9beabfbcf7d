/**
 * Local model calls' answers reach history together, as markers in the completion of the
 * workflow task that ran them, and Temporal refuses a completion over 4 MiB (it then
 * terminates the run). So what one workflow task's local calls may answer is bounded: a call
 * runs locally only while the answers the task has gathered, plus the most every local call
 * in flight could answer, stay within the budget; past it the call runs as an activity of its
 * own, whose answer is an event of its own. (Waiting for the next workflow task instead would
 * need a timer, which the server fires about a second late.) Deterministic: a workflow task is
 * told apart by the history length it started at, and sizes are those of the recorded answers.
 */
import { LOCAL_INLINE_ANSWER_BYTES } from '../contract/activity-io.ts';
import { jsonBytes } from './payload-size.ts';

/** What one workflow task's local answers may add up to: well inside the 4 MiB of a completion. */
export const LOCAL_ANSWERS_PER_TASK_BYTES = 3 * 1024 * 1024;
/** The most one local answer can be: larger ones are handed over (ModelCallResult.handedOver); the stub's fields besides. */
export const MAX_LOCAL_ANSWER_BYTES = LOCAL_INLINE_ANSWER_BYTES + 8 * 1024;

export class LocalCallBudget {
  private task = -1;
  private answered = 0;
  private inFlight = 0;
  private readonly taskOf: () => number;

  /** `taskOf`: the current workflow task's history length at its start. */
  constructor(taskOf: () => number) {
    this.taskOf = taskOf;
  }

  /** Runs `local` when its answer fits this workflow task, else `asActivity`. */
  async run<T>(local: () => Promise<T>, asActivity: () => Promise<T>): Promise<T> {
    if (!this.fits()) return asActivity();
    this.inFlight++;
    try {
      const answer = await local();
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
