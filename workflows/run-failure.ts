/**
 * A run-ending failure raised by the interpreter. The Temporal glue turns it into a
 * non-retryable ApplicationFailure whose `type` is `code`.
 */
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
