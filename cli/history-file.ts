/**
 * A workflow history read from a file, as `temporal workflow show --output json` (or the Web
 * UI's download) writes it: a missing file or one that is not a history is a one-line error.
 */
import type { temporal } from '@temporalio/proto';
import { CliError } from './io.ts';

type History = temporal.api.history.v1.IHistory;

export async function readHistoryFile(file: string): Promise<History> {
  const [{ readFile }, { historyFromJSON }] = await Promise.all([import('node:fs/promises'), import('@temporalio/common/lib/proto-utils.js')]);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    return historyFromJSON(JSON.parse(text));
  } catch (error) {
    throw new CliError(`${file}: not a workflow history (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); write one with \`temporal workflow show --output json\``);
  }
}
