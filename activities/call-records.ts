/**
 * Call records: what keeps a local model call (`execution: local`) exactly once. A local
 * activity's answer reaches history only when the workflow task that ran it completes; a
 * worker killed before then loses it, and the task runs again on another worker. So the
 * activity records each answer in the store every worker shares (blob-store.ts) before it
 * returns, keyed by the run and the call's sequence number; the re-run call finds it and
 * answers from it, and the model is not called again. The record also carries what failed
 * attempts spent (a local activity has no heartbeat to carry it), so the ledger stays exact.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import type { ChatMessage, ModelCallEcho, ModelCallRequest, ModelCallResult, TokenUsage } from '../contract/activity-io.ts';
import type { BlobStore } from './blob-store.ts';
import { spentUsageDetails, spentUsageIn } from '../contract/usage.ts';

interface FailureRecord {
  type: string | null;
  message: string;
  nonRetryable: boolean;
  details: unknown[];
}

/** Its tally of spent tokens is under SPENT_USAGE_FIELD (spentUsageDetails), as in a heartbeat. */
interface StoredCall {
  digest: string;
  /** A final outcome: an answer, or a failure no retry would change. */
  result?: ModelCallResult;
  failure?: FailureRecord;
}

export class CallRecord {
  private readonly store: BlobStore;
  private readonly key: string;
  private readonly digest: string;
  private readonly stored: StoredCall | undefined;
  private readonly log: Context['log'] | undefined;
  /** The local call's own activity id; undefined for a record opened to bring a handed-over answer. */
  readonly localActivityId: string | undefined;

  private constructor(store: BlobStore, key: string, digest: string, stored: StoredCall | undefined, log: Context['log'] | undefined, localActivityId: string | undefined) {
    this.localActivityId = localActivityId;
    this.store = store;
    this.key = key;
    this.digest = digest;
    this.stored = stored;
    this.log = log;
  }

  /**
   * The record of the current local activity's call; undefined for an activity of its own
   * (Temporal keeps those), except with `answerOf`: the activity that brings a handed-over
   * answer into history opens the record of that local call.
   */
  static async open(store: BlobStore, context: Context | undefined, request: ModelCallRequest, answerOf?: string): Promise<CallRecord | undefined> {
    if (!context?.info.isLocal && answerOf === undefined) return undefined;
    const { workflowExecution } = context?.info ?? {};
    const activityId = answerOf ?? context?.info.activityId;
    if (!workflowExecution || !activityId) return undefined;
    const key = `model-call\u0000${workflowExecution.workflowId}\u0000${workflowExecution.runId}\u0000${activityId}`;
    const digest = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const found = (await store.getRecord(key)) as Partial<StoredCall> | undefined;
    // Another request under the same key cannot happen in a deterministic workflow; never answer it from this one.
    const stored = found && found.digest === digest ? (found as StoredCall) : undefined;
    return new CallRecord(store, key, digest, stored, context?.log, answerOf === undefined ? activityId : undefined);
  }

  /** What earlier attempts (and runs of this workflow task) spent. */
  get spent(): TokenUsage | undefined {
    return spentUsageIn(this.stored);
  }

  /** The recorded final outcome: the answer, or the failure thrown again; null when the call must be made. */
  replay(): ModelCallResult | null {
    if (this.stored?.result) return this.stored.result;
    const failure = this.stored?.failure;
    if (failure) {
      throw ApplicationFailure.create({ ...(failure.type ? { type: failure.type } : {}), message: failure.message, nonRetryable: failure.nonRetryable, details: failure.details });
    }
    return null;
  }

  /** Records the answer before the activity returns it; false when the store refused it. */
  answered(result: ModelCallResult, spent: TokenUsage | undefined): Promise<boolean> {
    return this.write({ digest: this.digest, ...(spent ? spentUsageDetails(spent) : {}), result });
  }

  /** Records a failed attempt: what it spent, and the failure when no retry would change it. */
  async failed(failure: unknown, spent: TokenUsage | undefined): Promise<void> {
    const final = failure instanceof ApplicationFailure && failure.nonRetryable === true;
    if (!final && !spent) return;
    const recorded: StoredCall = { digest: this.digest, ...(spent ? spentUsageDetails(spent) : {}) };
    if (final) recorded.failure = { type: failure.type ?? null, message: failure.message, nonRetryable: true, details: [...(failure.details ?? [])] };
    await this.write(recorded);
  }

  /**
   * A record that cannot be written leaves the call as safe as an activity's without a
   * heartbeat: the answer still goes to history, and only a crash before then repeats it.
   * So the answer is not thrown away; the store's failure is logged.
   */
  private async write(record: StoredCall): Promise<boolean> {
    // The activity that brings a handed-over answer has Temporal record what it returns. It
    // must never replace the local call's record: an answerOf for another request would
    // otherwise leave that call, re-run after a crash, nothing to answer from.
    if (this.localActivityId === undefined) return false;
    try {
      await this.store.putRecord(this.key, record);
      return true;
    } catch (error) {
      this.log?.warn('call record not written; a crash before this workflow task completes repeats the call', { error: String(error) });
      return false;
    }
  }
}

/** The fields of a coded tool error the audit reads (a refusal's code, reason, policy and rule). */
const ERROR_FIELDS = ['error', 'reason', 'message', 'policy', 'rule'] as const;

/**
 * The request's repeat a local call's result carries (see ModelCallEcho): the coded tool
 * errors the model is told about, each cut to the fields the audit reads, so the echo stays
 * small whatever the tools answered.
 */
export function modelCallEcho(request: ModelCallRequest): ModelCallEcho {
  const lastAssistant = request.messages.findLastIndex((message) => message.role === 'assistant');
  const toolErrors: ChatMessage[] = [];
  for (const message of request.messages.slice(lastAssistant + 1)) {
    if (message.role !== 'tool' || !message.isError || message.output === null || typeof message.output !== 'object' || Array.isArray(message.output)) continue;
    const output = message.output as Record<string, unknown>;
    if (typeof output.error !== 'string') continue;
    const kept: Record<string, string> = {};
    for (const field of ERROR_FIELDS) if (typeof output[field] === 'string') kept[field] = (output[field] as string).slice(0, 1000);
    toolErrors.push({ role: 'tool', toolCallId: message.toolCallId, toolName: message.toolName, output: kept, isError: true });
  }
  return { agent: request.agent, model: request.model.model, ...(request.reserved ? { reserved: request.reserved } : {}), toolErrors };
}
