/**
 * What an agent activation receives: the task input plus every upstream output, each
 * labelled with the agent it came from. Rendered as the activation's first user message.
 */
import type { JsonValue } from '../contract/plan.ts';

export interface InboxMessage {
  from: string;
  output: JsonValue;
}

function renderValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

export function renderInbox(taskInput: JsonValue, messages: readonly InboxMessage[], note: { partialFrom?: string[] } = {}): string {
  const sections = [`Task input:\n${renderValue(taskInput)}`];
  for (const message of messages) sections.push(`Output of ${message.from}:\n${renderValue(message.output)}`);
  // continue_partial: say which branches are missing, so the agent does not assume it has everything.
  if (note.partialFrom && note.partialFrom.length > 0) sections.push(`Partial input: ${note.partialFrom.join(', ')} failed and sent nothing.`);
  return sections.join('\n\n');
}
