/** The typed failures of the dev-server layer: the CLI and the tests match on their codes. */

/** The closed set of failure codes of this layer. */
export type TemporalServerErrorCode =
  /** No `temporal` CLI found and none could be installed; the message says how to install one. */
  | 'TEMPORAL_CLI_MISSING'
  /** Connection settings (environment, config file, profile, flags) are contradictory or unreadable. */
  | 'TEMPORAL_CONFIG_INVALID'
  /** The port the dev server should bind is taken by something that does not speak Temporal. */
  | 'TEMPORAL_PORT_IN_USE'
  /** The dev server process exited before its frontend answered. */
  | 'TEMPORAL_SERVER_EXITED'
  /** The dev server did not answer within the start timeout. */
  | 'TEMPORAL_SERVER_TIMEOUT';

const TEMPORAL_SERVER_ERROR = Symbol.for('orch.TemporalServerError');

/** A typed failure of Temporal provisioning: a code from {@link TemporalServerErrorCode}, a message for people. */
export class TemporalServerError extends Error {
  readonly code: TemporalServerErrorCode;
  /** The last lines the server printed, when a server process was involved. */
  readonly serverOutput: string | undefined;
  readonly [TEMPORAL_SERVER_ERROR] = true;

  constructor(code: TemporalServerErrorCode, message: string, options?: { serverOutput?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TemporalServerError';
    this.code = code;
    this.serverOutput = options?.serverOutput;
  }

  /** Cross-realm check (a copy of this module loaded twice still recognises its errors). */
  static is(value: unknown): value is TemporalServerError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TEMPORAL_SERVER_ERROR] === true;
  }
}
