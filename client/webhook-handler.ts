/**
 * TaskWebhook deliveries as a Node HTTP handler, for `orch serve` or a user's own server:
 * verify the signature, then start the Task template's plan once per event id. Temporal
 * holds the idempotency state (the workflow id derives from the webhook and the event id),
 * so a duplicate is recognised across restarts and across replicas with no local store.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { JsonValue, SecretRef } from '../contract/plan.ts';
import type { WebhookDefinition } from '../contract/webhooks.ts';
import type { OrchClient } from './orch-client.ts';
import { readBody, parsePayload, type BodyProblem } from './webhook-body.ts';
import { verifySignature } from './webhook-signature.ts';

/** Orloj's delivery path; the webhook's name (or `namespace/name`, or Orloj's endpoint id) follows. */
export const WEBHOOK_DELIVERY_PATH = '/v1/webhook-deliveries/';
/** Orloj's limit on a delivery's body. */
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1 << 20;
/** An event id goes into the run input; a header may carry far more than an id needs. */
const MAX_EVENT_ID_LENGTH = 1024;

export interface WebhookHandlerOptions {
  webhooks: readonly WebhookDefinition[];
  client: OrchClient;
  /** The signing key of a webhook (Secret manifests, `ORCH_SECRET_*`); throw when there is none. Never logged. */
  resolveSecret: (ref: SecretRef) => string | Promise<string>;
  /** Default {@link DEFAULT_WEBHOOK_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Default the client's. */
  taskQueue?: string;
  /** Told of every request's outcome, for logs: names, codes and ids only, never a body, signature or secret. */
  onDelivery?: (event: WebhookDeliveryEvent) => void;
}

export type WebhookOutcome = 'accepted' | 'duplicate' | 'rejected' | 'error';

export interface WebhookDeliveryEvent {
  /** `namespace/name`, or null when the path names no webhook. */
  webhook: string | null;
  status: number;
  outcome: WebhookOutcome;
  /** Why, as a code: `signature_invalid`, `stale_timestamp`, `duplicate`, … */
  reason: string;
  eventId?: string;
  workflowId?: string;
  runId?: string;
}

/** The 202 body: Orloj's fields (`task` is the run's workflow id), plus the run. */
export interface WebhookDeliveryResponse {
  accepted: true;
  duplicate: boolean;
  event_id: string;
  task: string;
  message: string;
  run: { workflowId: string; runId: string };
}

export type WebhookRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => Promise<void>;

/** A request answered with an error: `publicMessage` is all the caller learns, `reason` goes to the log. */
class Rejection extends Error {
  readonly status: number;
  readonly reason: string;
  readonly publicMessage: string;
  readonly headers: Record<string, string>;
  constructor(status: number, reason: string, publicMessage: string, headers: Record<string, string> = {}) {
    super(reason);
    this.status = status;
    this.reason = reason;
    this.publicMessage = publicMessage;
    this.headers = headers;
  }
}

/** The run's workflow id: the webhook's name (as Orloj names run Tasks) and a digest of the webhook and the event id. */
export function webhookWorkflowId(hook: Pick<WebhookDefinition, 'namespace' | 'name'>, eventId: string): string {
  const digest = createHash('sha256').update(`${hook.namespace}/${hook.name}\n${eventId}`).digest('hex').slice(0, 16);
  return `${hook.name.slice(0, 42)}-${digest}`;
}

function lookup(webhooks: readonly WebhookDefinition[], id: string): WebhookDefinition | undefined {
  const exact = webhooks.find((w) => `${w.namespace}/${w.name}` === id || w.endpointId === id);
  if (exact) return exact;
  const named = webhooks.filter((w) => w.name === id);
  // A bare name in several namespaces means the one in `default`, as references do.
  return named.length === 1 ? named[0] : named.find((w) => w.namespace === 'default');
}

function webhookPath(url: string | undefined): string | null {
  const path = (url ?? '').split('?')[0]!;
  if (!path.startsWith(WEBHOOK_DELIVERY_PATH)) return null;
  try {
    return decodeURIComponent(path.slice(WEBHOOK_DELIVERY_PATH.length)).replace(/^\/+|\/+$/g, '');
  } catch {
    return '';
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

const BODY_STATUS: Record<BodyProblem, [number, string]> = {
  too_large: [413, 'payload too large'],
  unsupported_media_type: [415, 'content type must be application/json or text/plain'],
  invalid_json: [400, 'invalid JSON payload'],
  too_deep: [400, 'JSON payload nested too deeply'],
  invalid_text: [400, 'payload is not valid UTF-8'],
  read_failed: [400, 'invalid webhook payload'],
};

function bodyRejection(problem: BodyProblem): Rejection {
  const [status, message] = BODY_STATUS[problem];
  // A body cut short leaves the rest unread on the connection: it cannot carry another request.
  return new Rejection(status, problem, message, problem === 'too_large' ? { connection: 'close' } : {});
}

/**
 * A handler for `POST /v1/webhook-deliveries/<webhook>`. Other paths get 404, or go to `next`
 * when given (Express-style mounting). Answers: 202 accepted or duplicate; 401 for a missing
 * or bad signature or a stale timestamp (nothing started); 400 without an event id or with a
 * malformed body; 404, 405, 409 (suspended), 413, 415; 500 when the signing key cannot be
 * resolved; 503 when Temporal cannot be reached.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookRequestHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  const report = (event: WebhookDeliveryEvent) => {
    try {
      options.onDelivery?.(event);
    } catch {
      // A logger's failure must not turn a delivery's answer into a crash.
    }
  };

  const start = async (hook: WebhookDefinition, eventId: string, payload: JsonValue) => {
    const workflowId = webhookWorkflowId(hook, eventId);
    const input: JsonValue = {
      ...(isObject(hook.plan.input) ? hook.plan.input : {}),
      [hook.inputKey]: payload,
      webhook_event_id: eventId,
      webhook_received_at: new Date().toISOString(),
      webhook_source: hook.profile,
    };
    const startWith = (reuse: WorkflowIdReusePolicy) =>
      options.client.start(hook.plan, {
        workflowId,
        input,
        ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
        workflowIdReusePolicy: reuse,
        // An open run of the id is never replaced nor joined: the start fails, and that is the duplicate.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      });
    /** The run this event id already started, when it is still a duplicate: open, or started within the window. */
    const existing = async () => {
      const described = await options.client.client.workflow.getHandle(workflowId).describe();
      const ageMs = Date.now() - described.startTime.getTime();
      const open = described.status.name === 'RUNNING';
      return open || ageMs < hook.dedupeWindowSeconds * 1000 ? { workflowId, runId: described.runId } : null;
    };
    // First as a new event; a closed run older than the window lets the id start again.
    for (const reuse of [WorkflowIdReusePolicy.REJECT_DUPLICATE, WorkflowIdReusePolicy.ALLOW_DUPLICATE]) {
      try {
        const run = await startWith(reuse);
        return { duplicate: false, workflowId, runId: run.runId ?? '' };
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        const earlier = await existing();
        if (earlier) return { duplicate: true, ...earlier };
        // Closed and older than the window: the event id may run again.
      }
    }
    // Another delivery of the same event started it between our two attempts.
    const earlier = await existing();
    return { duplicate: true, workflowId, runId: earlier?.runId ?? '' };
  };

  const deliver = async (req: IncomingMessage, res: ServerResponse, id: string): Promise<void> => {
    let hookKey: string | null = null;
    let eventId: string | undefined;
    try {
      if (req.method !== 'POST') throw new Rejection(405, 'method_not_allowed', 'method not allowed', { allow: 'POST' });
      const hook = id === '' ? undefined : lookup(options.webhooks, id);
      if (!hook) throw new Rejection(404, 'not_found', 'webhook endpoint not found');
      hookKey = `${hook.namespace}/${hook.name}`;
      if (hook.suspend) throw new Rejection(409, 'suspended', 'webhook is suspended');

      const body = await readBody(req, maxBodyBytes);
      if (!body.ok) throw bodyRejection(body.problem);

      let secret: unknown;
      try {
        secret = await options.resolveSecret(hook.secretRef);
      } catch {
        secret = undefined;
      }
      // An empty key would make every signature computable by anyone.
      if (typeof secret !== 'string' || secret === '') throw new Rejection(500, 'secret_error', 'webhook secret resolution failed');
      const verdict = verifySignature(hook, (name) => header(req, name), body.bytes, secret, Date.now());
      if (verdict !== 'valid') throw new Rejection(401, verdict, 'signature verification failed');

      eventId = header(req, hook.eventIdHeader)?.trim() || undefined;
      if (!eventId) throw new Rejection(400, 'missing_event_id', 'missing event id');
      if (eventId.length > MAX_EVENT_ID_LENGTH) throw new Rejection(400, 'invalid_event_id', `event id longer than ${MAX_EVENT_ID_LENGTH} characters`);

      const payload = parsePayload(header(req, 'content-type'), body.bytes);
      if (!payload.ok) throw bodyRejection(payload.problem);

      let started;
      try {
        started = await start(hook, eventId, payload.value);
      } catch {
        throw new Rejection(503, 'task_create_error', 'webhook run could not be started');
      }
      const response: WebhookDeliveryResponse = {
        accepted: true,
        duplicate: started.duplicate,
        event_id: eventId,
        task: started.workflowId,
        message: started.duplicate ? 'duplicate delivery' : 'delivery accepted',
        run: { workflowId: started.workflowId, runId: started.runId },
      };
      send(res, 202, response);
      report({
        webhook: hookKey,
        status: 202,
        outcome: started.duplicate ? 'duplicate' : 'accepted',
        reason: started.duplicate ? 'duplicate' : 'accepted',
        eventId,
        workflowId: started.workflowId,
        runId: started.runId,
      });
    } catch (error) {
      const rejection = error instanceof Rejection ? error : new Rejection(500, 'internal_error', 'failed to process webhook');
      send(res, rejection.status, { error: rejection.publicMessage }, rejection.headers);
      report({
        webhook: hookKey,
        status: rejection.status,
        outcome: rejection.status >= 500 ? 'error' : 'rejected',
        reason: rejection.reason,
        ...(eventId ? { eventId } : {}),
      });
    }
  };

  return async (req, res, next) => {
    const id = webhookPath(req.url);
    if (id === null) {
      if (next) return next();
      send(res, 404, { error: 'not found' });
      report({ webhook: null, status: 404, outcome: 'rejected', reason: 'not_found' });
      return;
    }
    await deliver(req, res, id);
  };
}
