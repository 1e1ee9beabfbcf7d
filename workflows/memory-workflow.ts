/**
 * `orchMemory`: the store of one `in-memory` Memory, one workflow per Memory and deployment.
 * Its entries live in workflow state, so every run and worker of the deployment shares them
 * and they survive any worker's crash; each memory tool call is an update, applied in history
 * order. When history grows long it continues as new, carrying the entries over.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { memoryOperationUpdate, memoryStatsQuery } from '../contract/wire-names.ts';
import { applyMemoryOperation, emptyStore, storeStats, type MemoryStoreState } from './memory-store.ts';

/** Continue as new past this many events even before the server suggests it: each execution replays quickly. */
const MAX_HISTORY_EVENTS = 4_000;

export async function orchMemory(state?: MemoryStoreState): Promise<void> {
  const store: MemoryStoreState = state ?? emptyStore();
  setHandler(memoryOperationUpdate, (request) => applyMemoryOperation(store, request));
  setHandler(memoryStatsQuery, () => storeStats(store));
  const limit = store.continueAfterEvents ?? MAX_HISTORY_EVENTS;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof orchMemory>(store);
}
