/**
 * Temporal's client config file (TOML, profiles of connection settings), found where the
 * Temporal CLI and SDKs look: `TEMPORAL_CONFIG_FILE`, else the platform's `temporalio/temporal.toml`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TemporalServerError } from './errors.ts';

export interface TemporalConfigFile {
  path: string;
  /** Named by `TEMPORAL_CONFIG_FILE` (then it must exist), not found at the default place. */
  explicit: boolean;
  text: string;
}

/** Where envconfig looks when `TEMPORAL_CONFIG_FILE` is unset (its own rule, repeated to name the file in messages). */
export function defaultConfigFilePath(env: NodeJS.ProcessEnv): string | null {
  const file = (dir: string): string => path.join(dir, 'temporalio', 'temporal.toml');
  if (process.platform === 'win32') return env.APPDATA ? file(env.APPDATA) : null;
  if (process.platform === 'darwin') return env.HOME ? file(path.join(env.HOME, 'Library', 'Application Support')) : null;
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return path.isAbsolute(xdg) ? file(xdg) : null;
  return env.HOME ? file(path.join(env.HOME, '.config')) : null;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}

/**
 * The config file's text, or null when there is none at the default place.
 *
 * @throws TemporalServerError `TEMPORAL_CONFIG_INVALID` when it cannot be read, or when
 * `TEMPORAL_CONFIG_FILE` names a file that does not exist: an explicit setting that is wrong
 * must not quietly mean "no settings" (and so a local dev server instead of the cluster meant).
 */
export function readTemporalConfigFile(env: NodeJS.ProcessEnv): TemporalConfigFile | null {
  const named = env.TEMPORAL_CONFIG_FILE;
  const file = named ?? defaultConfigFilePath(env);
  if (!file) return null;
  try {
    return { path: file, explicit: named !== undefined, text: readFileSync(file, 'utf8') };
  } catch (error) {
    if (named === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const via = named === undefined ? '' : ' (TEMPORAL_CONFIG_FILE)';
    throw new TemporalServerError('TEMPORAL_CONFIG_INVALID', `${file}: cannot read the Temporal config file${via}: ${reason(error)}`, { cause: error });
  }
}
