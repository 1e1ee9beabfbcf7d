/**
 * One line for a workflow id that names no run, whichever command asked. By the error's name:
 * the commands that use it are declared without loading Temporal's client.
 */
import { CliError } from './io.ts';

export function isNoSuchRun(error: unknown): boolean {
  return error instanceof Error && error.name === 'WorkflowNotFoundError';
}

/** What `look` finds of the run; a workflow id that names none is `<id>: no such run`, exit 1. */
export async function knownRun<T>(workflowId: string, look: () => Promise<T>): Promise<T> {
  try {
    return await look();
  } catch (error) {
    if (isNoSuchRun(error)) throw new CliError(`${workflowId}: no such run`);
    throw error;
  }
}
