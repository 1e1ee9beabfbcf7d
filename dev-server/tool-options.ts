/** Options every function of this layer takes: whose state, which environment, where progress goes. */
import path from 'node:path';
import { orchHome } from './state-dir.ts';

export interface TemporalToolOptions {
  /** orch's state directory. Default: {@link orchHome} of `env` (`ORCH_HOME`, XDG, `~/.local/state/orch`). */
  home?: string;
  /** Environment to read (`ORCH_HOME`, `ORCH_TEMPORAL_CLI`, `PATH`, `TEMPORAL_*`). Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines for people (installs take minutes). Default: written to stderr. */
  log?: (message: string) => void;
}

export interface ResolvedToolOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
}

function defaultLog(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function resolveToolOptions(options: TemporalToolOptions): ResolvedToolOptions {
  const env = options.env ?? process.env;
  return { home: path.resolve(options.home ?? orchHome(env)), env, log: options.log ?? defaultLog };
}
