/**
 * The `callModel` activity: one model call, one step. The workflow owns the agent loop
 * (it runs the tools the model asks for, each as its own activity), so tools are declared
 * to the model without `execute`, and `maxRetries: 0` leaves retrying to Temporal.
 */
import { ApplicationFailure } from '@temporalio/common';
import { generateText, jsonSchema, NoSuchToolError, Output, tool, type JSONSchema7, type ModelMessage, type ToolSet } from 'ai';
import type { JsonValue } from '../contract/plan.ts';
import { currentActivityContext, withHeartbeat } from './activity-context.ts';
import { activityFailure, classifyModelError } from './classify-failure.ts';
import type { ActivityRuntime } from './deps.ts';
import { buildModel, modelCredential, type ModelCredential } from './model-provider.ts';
import { createRedactor, redactDeep, type Redact } from './redact.ts';
import { structuredOutputSchema } from './output-schema.ts';
import { addUsage, heartbeatSpentUsage, withFailureDetails, priorAttemptsUsage, spentUsageDetails, tokenUsage, usageOfError, usageReported, withSpentUsage } from './spent-usage.ts';
import { LOCAL_INLINE_ANSWER_BYTES, MAX_MODEL_RESPONSE_BYTES, type ChatMessage, type LocalCallLimits, type ModelCallRequest, type ModelCallResult, type StoredTranscript, type TokenUsage, type ToolCall, type ToolDeclaration } from '../contract/activity-io.ts';
import { loadTranscript, storeTranscript, withStoredOutputs } from './stored-transcript.ts';
import { isRetryable } from '../contract/failures.ts';
import { CallRecord, modelCallEcho } from './call-records.ts';
import { callDeadline, type CallDeadline } from './activation-deadline.ts';
import type { Context } from '@temporalio/activity';

/** Creates the `callModel` activity function over the given runtime. */
export function createCallModel(runtime: ActivityRuntime): (request: ModelCallRequest, local?: LocalCallLimits) => Promise<ModelCallResult> {
  return async function callModel(request: ModelCallRequest, local?: LocalCallLimits): Promise<ModelCallResult> {
    const context = currentActivityContext();
    const deadline = callDeadline(local, context?.cancellationSignal);
    try {
      return await callModelUntil(runtime, request, context, deadline, local?.answerOf);
    } catch (error) {
      // A local call's marker records no input: every failure the call raises says what the audit needs.
      throw context?.info.isLocal ? withFailureDetails(error, { call: modelCallEcho(request) }) : error;
    } finally {
      deadline.dispose();
    }
  };
}

async function callModelUntil(runtime: ActivityRuntime, request: ModelCallRequest, context: Context | undefined, deadline: CallDeadline, answerOf: string | undefined): Promise<ModelCallResult> {
  const cancellationSignal = deadline.signal;
  const subject = `${request.model.provider}/${request.model.model}`;
  let redact: Redact = createRedactor([]);
  // A local call answered before (its workflow task lost in a crash) answers from its record.
  const record = await CallRecord.open(runtime.blobs, context, request, answerOf);
  const recorded = record?.replay();
  const ownId = record?.localActivityId;
  if (recorded) return ownId ? handedOverIfLarge(recorded, ownId) : recorded;
  // A handed-over answer whose record is gone (a store not shared?): the call is made again, here.
  const echo = ownId ? { call: modelCallEcho(request) } : {};
  // Tokens consumed by earlier attempts that failed, and by this one once it has an answer.
  const prior = record ? record.spent : priorAttemptsUsage(context);
  let answered: TokenUsage | undefined;
  let credential: ModelCredential | undefined;
  // The whole transcript, from the claim-check store when the workflow sent only what is new.
  const transcript = await requestTranscript(runtime, request);
  try {
    // For this endpoint only: SECRET_DESTINATION_DENIED before anything is sent elsewhere.
    credential = modelCredential(request.model, runtime, runtime.fetch);
    const { apiKey } = credential;
    redact = runtime.redactors.failure([apiKey]);
    const { languageModel, settings } = await buildModel({
      model: request.model,
      apiKey,
      fetch: credential.fetch,
      call: { agent: request.agent, activation: request.activation, step: request.step },
      redact,
    });
    const result = await withHeartbeat(context, runtime.heartbeatIntervalMs, () =>
      generateText({
        model: languageModel,
        ...(request.system !== '' ? { instructions: request.system } : {}),
        messages: toModelMessages(transcript.messages),
        ...(request.tools.length > 0 ? { tools: toToolSet(request.tools) } : {}),
        ...(request.outputSchema
          ? { output: Output.object({ schema: structuredOutputSchema(request.outputSchema) }) }
          : {}),
        ...settings,
        // The run's budget may leave less room than the endpoint's own max_tokens.
        ...(request.maxOutputTokens != null
          ? { maxOutputTokens: Math.min(request.maxOutputTokens, settings.maxOutputTokens ?? Infinity) }
          : {}),
        maxRetries: 0,
        ...(cancellationSignal ? { abortSignal: cancellationSignal } : {}),
      }),
      prior ? spentUsageDetails(prior) : undefined
    );
    answered = tokenUsage(result.usage);
    heartbeatSpentUsage(context, addUsage(prior, answered));
    // Under an output schema, return the validated object re-serialised: canonical JSON
    // the workflow can parse, whatever wrapping the provider put around it. ai@7 parses
    // the output only for a step that did not end in tool calls, and its getter throws
    // (NoOutputGeneratedError) when there is none.
    const text = request.outputSchema && result.toolCalls.length === 0 ? JSON.stringify(result.output) : result.text;
    const toolCalls = result.toolCalls.map((call) => toToolCall(call, redact));
    refuseOversizedReply(text, toolCalls, subject);
    // A model can repeat a secret it saw (in a tool result, in its input): mask every one the worker holds.
    const answer: ModelCallResult = redactDeep({
      text,
      toolCalls,
      finishReason: result.finishReason,
      usage: answered,
      ...(usageReported(result.usage) ? {} : { usageReported: false }),
      ...(prior ? { retriedUsage: prior } : {}),
      modelId: result.response.modelId || request.model.model,
      ...(transcript.stored ? { transcript: transcript.stored } : {}),
      ...echo,
    }, runtime.redactors.result([apiKey]));
    const recordedNow = (await record?.answered(answer, addUsage(prior, answered))) ?? false;
    // Only a local call's recorded answer can be handed over; one the store refused goes back whole.
    return recordedNow && ownId ? handedOverIfLarge(answer, ownId) : answer;
  } catch (error) {
    const classified = deadline.expired() ?? classifyModelError(credential?.denied() ?? error, { redact, cancellationSignal, subject });
    const spent = addUsage(prior, answered ?? usageOfError(error));
    const failure = withSpentUsage(classified, spent, context);
    await record?.failed(failure, spent);
    throw failure;
  }
}

/**
 * A local call's answer too large for its workflow task (whose completion Temporal refuses past
 * 4 MiB) stays in its record; the call returns where to find it, with no tokens (the activity
 * that brings the answer reports them), and the workflow runs that activity.
 */
function handedOverIfLarge(answer: ModelCallResult, activityId: string): ModelCallResult {
  if (Buffer.byteLength(JSON.stringify(answer)) <= LOCAL_INLINE_ANSWER_BYTES) return answer;
  return {
    text: '',
    toolCalls: [],
    finishReason: answer.finishReason,
    usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    modelId: answer.modelId,
    // No echo: the activity that brings the answer has the request as its input, in history.
    handedOver: { activityId },
  };
}

/**
 * The transcript the model is given, stored outputs resolved. With `request.transcript` the
 * input is stored first (a retry stores the same segment), and its reference returned.
 */
async function requestTranscript(runtime: ActivityRuntime, request: ModelCallRequest): Promise<{ messages: ChatMessage[]; stored?: StoredTranscript }> {
  if (!request.transcript) return { messages: await withStoredOutputs(runtime.blobs, request.messages) };
  const { base } = request.transcript;
  const earlier = base ? await loadTranscript(runtime.blobs, base) : [];
  const stored = await storeTranscript(runtime.blobs, base, request.messages);
  return { messages: await withStoredOutputs(runtime.blobs, [...earlier, ...request.messages]), stored };
}

export { MAX_MODEL_RESPONSE_BYTES };

/**
 * A reply over the limit fails for good as MODEL_RESPONSE_TOO_LARGE. It is thrown after the
 * usage is known, so the tokens it consumed are charged (the failure carries them).
 */
function refuseOversizedReply(text: string, toolCalls: readonly ToolCall[], subject: string): void {
  let bytes = Buffer.byteLength(text, 'utf8');
  for (const call of toolCalls) bytes += Buffer.byteLength(call.name, 'utf8') + Buffer.byteLength(JSON.stringify(call.input) ?? '', 'utf8');
  if (bytes <= MAX_MODEL_RESPONSE_BYTES) return;
  throw ApplicationFailure.create({
    type: 'MODEL_RESPONSE_TOO_LARGE',
    message: `the reply of ${subject} is ${bytes} bytes, over the ${MAX_MODEL_RESPONSE_BYTES}-byte limit of a model reply`,
    nonRetryable: !isRetryable('MODEL_RESPONSE_TOO_LARGE'),
    details: [{ model: subject, bytes, limit: MAX_MODEL_RESPONSE_BYTES }],
  });
}

/** Tools as the model sees them: name, description, JSON schema; no `execute`. */
function toToolSet(declarations: ToolDeclaration[]): ToolSet {
  const tools: ToolSet = {};
  for (const declaration of declarations) {
    tools[declaration.name] = tool({
      description: declaration.description,
      inputSchema: jsonSchema(declaration.inputSchema as JSONSchema7),
    });
  }
  return tools;
}

/** orch's chat transcript in AI SDK ModelMessage form; consecutive tool results share one message. */
export function toModelMessages(messages: ChatMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        out.push({ role: 'user', content: message.content });
        break;
      case 'assistant':
        if (message.toolCalls.length === 0) {
          out.push({ role: 'assistant', content: message.content });
        } else {
          out.push({
            role: 'assistant',
            content: [
              ...(message.content !== '' ? [{ type: 'text' as const, text: message.content }] : []),
              ...message.toolCalls.map((call) => ({
                type: 'tool-call' as const,
                toolCallId: call.id,
                toolName: call.name,
                input: call.input,
              })),
            ],
          });
        }
        break;
      case 'tool': {
        const output = message.isError
          ? typeof message.output === 'string'
            ? { type: 'error-text' as const, value: message.output }
            : { type: 'error-json' as const, value: message.output }
          : typeof message.output === 'string'
            ? { type: 'text' as const, value: message.output }
            : { type: 'json' as const, value: message.output };
        const part = { type: 'tool-result' as const, toolCallId: message.toolCallId, toolName: message.toolName, output };
        const previous = out[out.length - 1];
        if (previous?.role === 'tool') previous.content.push(part);
        else out.push({ role: 'tool', content: [part] });
        break;
      }
    }
  }
  return out;
}

interface SdkToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
  invalid?: boolean;
  error?: unknown;
}

/**
 * A tool call for the workflow. A call to a tool the model was not given passes through:
 * the workflow answers it with a tool error the model can learn from. A call whose input
 * is not valid JSON cannot be run at all, so the model call fails as MODEL_RESPONSE_INVALID
 * (retryable: the next sample is usually well-formed).
 */
function toToolCall(call: SdkToolCall, redact: Redact): ToolCall {
  if (call.invalid && !NoSuchToolError.isInstance(call.error)) {
    const reason = call.error instanceof Error ? call.error.message : 'invalid input';
    throw activityFailure(
      'MODEL_RESPONSE_INVALID',
      `model produced an invalid call to tool ${call.toolName}: ${reason}`,
      { details: { tool: call.toolName } },
      redact
    );
  }
  return { id: call.toolCallId, name: call.toolName, input: (call.input ?? {}) as JsonValue };
}

