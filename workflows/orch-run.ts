/**
 * The `orchRun` workflow: Temporal glue around the pure interpreter. It maps the Effects
 * port onto activities, serves live progress, and turns run failures into typed
 * ApplicationFailures that carry the usage so far.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  defineQuery,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { OrchActivities, ToolCallRequest } from '../activities/types.ts';
import { PLAN_SCHEMA_VERSION, type PlanMcpServer } from '../compiler/plan.ts';
import { PlanInterpreter } from './interpreter.ts';
import { CallFailure, RunFailure } from './run-failure.ts';
import { renderProgressMarkdown } from './progress-details.ts';
import { emptyTotals } from './usage-ledger.ts';
import type { Effects, RunFailureDetails, RunInput, RunProgress, RunResult } from './types.ts';

/** Live progress of a run: agents, steps, tokens. Queries add nothing to history. */
export const progressQuery = defineQuery<RunProgress>('progress');

/**
 * A killed worker stops heartbeating; after this long the server retries its call on
 * another worker. Activities heartbeat every second, so this only trips on a dead worker.
 */
const HEARTBEAT_TIMEOUT = '10 seconds';
const DEFAULT_MODEL_CALL_TIMEOUT_MS = 10 * 60 * 1000;

const activities = proxyActivities<OrchActivities>({
  startToCloseTimeout: DEFAULT_MODEL_CALL_TIMEOUT_MS,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

function temporalEffects(onProgress: (progress: RunProgress) => void): Effects {
  return {
    callModel: (request, options) =>
      activities.callModel.executeWithOptions({ summary: options.summary, heartbeatTimeout: HEARTBEAT_TIMEOUT }, [
        request,
      ]),
    callTool: (request, options) =>
      activities.callTool
        .executeWithOptions(
          {
            summary: options.summary,
            // The activity enforces the tool's own timeout; this is the backstop.
            startToCloseTimeout: request.tool.timeoutMs + 5_000,
            heartbeatTimeout: HEARTBEAT_TIMEOUT,
            retry: toolRetryPolicy(request),
          },
          [request]
        )
        .catch(asCallFailure),
    listMcpTools: (request, options) =>
      activities.listMcpTools
        .executeWithOptions(
          {
            summary: options.summary,
            // Starting a stdio server can mean installing it first (`npx -y …`).
            startToCloseTimeout: '2 minutes',
            retry: reconnectPolicy(request.server.reconnect),
          },
          [request]
        ),
    onProgress,
  };
}

/**
 * A tool's `runtime.retry` is its Temporal retry policy: `max_attempts` 1 (Orloj's default)
 * means at most once, right for tools that are not idempotent. An MCP tool's failures of its
 * own come back as results, so its retries are for the connection: the server's `reconnect`.
 */
function toolRetryPolicy(request: ToolCallRequest) {
  if (request.mcpServer) return reconnectPolicy(request.mcpServer.reconnect);
  const { retry } = request.tool;
  return {
    initialInterval: Math.max(retry.backoffMs, 100),
    backoffCoefficient: 2,
    maximumInterval: Math.max(retry.maxBackoffMs, retry.backoffMs, 100),
    maximumAttempts: Math.max(retry.maxAttempts, 1),
  };
}

function reconnectPolicy(reconnect: PlanMcpServer['reconnect']) {
  return {
    initialInterval: Math.max(reconnect.backoffMs, 100),
    backoffCoefficient: 2,
    maximumAttempts: Math.max(reconnect.maxAttempts, 1),
  };
}

/** An activity that failed for good becomes a CallFailure for the interpreter; cancellation passes through. */
function asCallFailure(error: unknown): never {
  if (error instanceof ActivityFailure && !isCancellation(error)) {
    const cause = error.cause;
    const type =
      cause instanceof ApplicationFailure ? (cause.type ?? 'ACTIVITY_FAILED') : cause instanceof TimeoutFailure ? 'TOOL_TIMEOUT' : 'ACTIVITY_FAILED';
    throw new CallFailure(type, cause?.message ?? error.message, { cause: error });
  }
  throw error;
}

/** The failure type and message a caller sees: the activity's own type when an activity failed. */
function describeFailure(failure: RunFailure): { type: string; message: string } {
  const prefix = failure.agent ? `agent ${failure.agent}: ` : '';
  const cause = failure.cause;
  if (cause instanceof ActivityFailure && cause.cause instanceof ApplicationFailure) {
    return { type: cause.cause.type ?? 'ACTIVITY_FAILED', message: `${prefix}${cause.cause.message}` };
  }
  if (cause instanceof ActivityFailure) {
    return { type: 'ACTIVITY_FAILED', message: `${prefix}${cause.cause?.message ?? cause.message}` };
  }
  return { type: failure.code, message: `${prefix}${failure.message}` };
}

/** Interprets a compiled Plan. One workflow type runs every agent system. */
export async function orchRun(runInput: RunInput): Promise<RunResult> {
  const { plan } = runInput;
  if (plan?.schemaVersion !== PLAN_SCHEMA_VERSION) {
    // A plan from a newer (or older) compiler than this worker understands: refuse, never guess.
    throw ApplicationFailure.create({
      type: 'PLAN_VERSION_UNSUPPORTED',
      message: `plan schema version ${String(plan?.schemaVersion)} is not supported by this worker (expected ${PLAN_SCHEMA_VERSION})`,
      nonRetryable: true,
    });
  }
  const input = runInput.input !== undefined ? runInput.input : plan.input;
  let progress: RunProgress | null = null;
  setHandler(progressQuery, () => progress ?? { phase: 'running', agents: {}, usage: emptyTotals() });
  const effects = temporalEffects((next) => {
    progress = next;
    setCurrentDetails(renderProgressMarkdown(plan, next));
  });
  const interpreter = new PlanInterpreter(plan, input, effects);
  try {
    return await interpreter.run();
  } catch (error) {
    const failure =
      error instanceof RunFailure ? error : new RunFailure('RUN_FAILED', String(error), null, { cause: error });
    const { type, message } = describeFailure(failure);
    const details: RunFailureDetails = {
      agent: failure.agent,
      usage: interpreter.ledger.snapshot(),
      activations: interpreter.activations,
    };
    throw ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
  }
}
