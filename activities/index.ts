/**
 * orch's activities: everything that touches the world. `callModel` and `callTool` are
 * Temporal activity type names recorded in history: renaming one breaks replay of every
 * run that used it.
 */
import { createCallModel } from './call-model.ts';
import { createCallTool } from './call-tool.ts';
import { activityRuntime, type ActivityDeps } from './deps.ts';
import type { OrchActivities } from './types.ts';

export type { ActivityDeps } from './deps.ts';
export { resolveSecret, secretEnvNames } from './secrets.ts';
export { MockLanguageModel } from './mock-model.ts';

/**
 * Creates the activities a worker registers. Dependencies are injected here (secret
 * values, environment, fetch) so tests and embedding services control them.
 */
export function createActivities(deps: ActivityDeps = {}): OrchActivities {
  const runtime = activityRuntime(deps);
  return {
    callModel: createCallModel(runtime),
    callTool: createCallTool(runtime),
  };
}
