/**
 * A run-ending failure raised by the interpreter. The Temporal glue turns it into a
 * non-retryable ApplicationFailure whose `type` is `code`.
 */
/**
 * A model or tool call that failed for good (after its retries). The Temporal glue turns an
 * activity failure into this, so the pure interpreter never sees Temporal's failure types.
 */
export class CallFailure extends Error {
  /** The activity's failure type, e.g. `TOOL_UNAVAILABLE`. */
  readonly type: string;

  constructor(type: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CallFailure';
    this.type = type;
  }
}

export class RunFailure extends Error {
  readonly code: string;
  readonly agent: string | null;

  constructor(code: string, message: string, agent: string | null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunFailure';
    this.code = code;
    this.agent = agent;
  }
}
