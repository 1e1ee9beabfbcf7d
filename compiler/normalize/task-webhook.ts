/** TaskWebhook defaults, per auth profile, as Orloj's `TaskWebhook.Normalize` applies them. */
import type { TaskWebhookSpec } from '../resources.ts';
import type { TaskWebhookSpecInput } from '../schemas/task-webhook.ts';

const PROFILE_DEFAULTS = {
  generic: { signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp', eventIdHeader: 'X-Event-Id', dedupeWindowSeconds: 86_400 },
  // GitHub signs the body alone, so replay protection rests on dedupe: 72 h, GitHub's retry window.
  github: { signatureHeader: 'X-Hub-Signature-256', timestampHeader: null, eventIdHeader: 'X-GitHub-Delivery', dedupeWindowSeconds: 259_200 },
} as const;

const DEFAULT_MAX_SKEW_SECONDS = 300;

export function normalizeTaskWebhook(input: TaskWebhookSpecInput): TaskWebhookSpec {
  const profile = input.auth.profile ?? 'generic';
  const defaults = PROFILE_DEFAULTS[profile];
  return {
    taskRef: input.task_ref,
    suspend: input.suspend ?? false,
    auth: {
      profile,
      secretRef: input.auth.secret_ref,
      signatureHeader: input.auth.signature_header ?? defaults.signatureHeader,
      // An empty prefix means the default too, as in Orloj.
      signaturePrefix: input.auth.signature_prefix || 'sha256=',
      // github signs no timestamp: the header is ignored there.
      timestampHeader: profile === 'github' ? null : (input.auth.timestamp_header ?? defaults.timestampHeader),
      // 0 means the default, as in Orloj.
      maxSkewSeconds: input.auth.max_skew_seconds || DEFAULT_MAX_SKEW_SECONDS,
    },
    idempotency: {
      eventIdHeader: input.idempotency?.event_id_header ?? defaults.eventIdHeader,
      dedupeWindowSeconds: input.idempotency?.dedupe_window_seconds || defaults.dedupeWindowSeconds,
    },
    payload: { mode: 'raw', inputKey: input.payload?.input_key ?? 'webhook_payload' },
  };
}
