/**
 * Failures inside the interpreter. Pure classes: the Temporal glue maps activity failures
 * to CallFailure on the way in, and RunFailure to an ApplicationFailure on the way out.
 */

import type { TokenUsage } from '../contract/activity-io.ts';
import type { Refusal, RunUsage } from '../contract/run-io.ts';
import { codesWhere } from '../contract/failures.ts';

/** Failures that are a governance decision: they end the run, also from inside a delegate or a tool call. */
export const GOVERNANCE_FAILURES: ReadonlySet<string> = codesWhere((entry) => entry.category === 'governance');

/**
 * A model call, tool call or delegation that failed for good (after its retries). The
 * interpreter never sees Temporal's failure types, only this.
 */
export class CallFailure extends Error {
  /** The activity's failure type, e.g. `TOOL_UNAVAILABLE`. */
  readonly type: string;
  /** No retry of the activation can help (bad credentials, a denied policy, …). */
  readonly nonRetryable: boolean;
  /** Tokens the call's failed attempts consumed anyway (a model answer that failed its schema). */
  readonly spent: TokenUsage | undefined;
  /** What a failed delegation's child run used before it failed. */
  readonly childUsage: RunUsage | undefined;
  /** What a failed delegation's child run refused. */
  readonly childRefusals: Refusal[] | undefined;
  /** The failed call's request is in history: an activity's scheduled input, or a local call's echo (ModelCallEcho). */
  readonly requestInHistory: boolean;

  constructor(
    type: string,
    message: string,
    options?: {
      cause?: unknown;
      nonRetryable?: boolean;
      spent?: TokenUsage | undefined;
      childUsage?: RunUsage | undefined;
      childRefusals?: Refusal[] | undefined;
      requestInHistory?: boolean;
    }
  ) {
    super(message, options);
    this.name = 'CallFailure';
    this.requestInHistory = options?.requestInHistory === true;
    this.type = type;
    this.nonRetryable = options?.nonRetryable ?? false;
    this.spent = options?.spent;
    this.childUsage = options?.childUsage;
    this.childRefusals = options?.childRefusals;
  }
}

/** A run-ending failure; its `code` becomes the workflow failure's type. */
export class RunFailure extends Error {
  readonly code: string;
  readonly agent: string | null;
  /** The run failed because retries were spent on a failure that could have passed. */
  readonly deadLettered: boolean;

  constructor(code: string, message: string, agent: string | null, options?: { cause?: unknown; deadLettered?: boolean }) {
    super(message, options);
    this.name = 'RunFailure';
    this.code = code;
    this.agent = agent;
    this.deadLettered = options?.deadLettered ?? false;
  }
}
