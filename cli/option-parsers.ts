/** Parsers for numeric options: a malformed value is a usage error naming the flag, never NaN passed on. */
import { CliError, EXIT } from './io.ts';

/** A positive integer (`--limit`, `--add-tokens`). */
export function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} must be a positive integer, got "${value}"`, EXIT.usage);
    return n;
  };
}

/** A positive number (`--add-cost`). */
export function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number, got "${value}"`, EXIT.usage);
    return n;
  };
}

/** A TCP port, 0 (any free port) to 65535 (`--port`). */
export function port(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${flag} must be a port number (0-65535), got "${value}"`, EXIT.usage);
    return n;
  };
}
