/**
 * Temporal's runtime logs every worker state change at INFO. The CLI shows its own progress,
 * so it keeps the runtime at WARN unless ORCH_DEBUG is set. The runtime is process-global
 * and can be installed only once; a second call is a no-op.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

export function installQuietRuntime(env: NodeJS.ProcessEnv = process.env): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({ logger: new DefaultLogger(env.ORCH_DEBUG ? 'DEBUG' : 'WARN') });
  } catch {
    // Already installed by the host process (a library user, a test): keep theirs.
  }
}
