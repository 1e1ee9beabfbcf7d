/**
 * A compiled TaskWebhook: what `compile` and `validate` return in `webhooks` and what
 * `createWebhookHandler` serves. Plain data, so a service can compile in one place and serve
 * in another. It names its signing key by reference only; the value is resolved when a
 * delivery is verified.
 */
import type { Plan, SecretRef } from './plan.ts';

export type WebhookProfile = 'generic' | 'github';

export interface WebhookDefinition {
  /** The TaskWebhook's namespace and name; deliveries go to `/v1/webhook-deliveries/<name>`. */
  namespace: string;
  name: string;
  /** Orloj's endpoint id (hex of the first 12 bytes of sha256 of `namespace/name`): accepted in the path as well. */
  endpointId: string;
  /** `namespace/name` of the Task template each delivery runs. */
  task: string;
  /** Deliveries are refused with 409 while set. */
  suspend: boolean;
  /** `generic`: HMAC-SHA256 over `timestamp + "." + body`; `github`: over the body alone. */
  profile: WebhookProfile;
  /** The HMAC key. */
  secretRef: SecretRef;
  /** Header names as written; HTTP compares them case-insensitively. */
  signatureHeader: string;
  /** Stripped (case-insensitively) before the hex digest, e.g. `sha256=`. */
  signaturePrefix: string;
  /** `generic` only; null for `github`. */
  timestampHeader: string | null;
  /** How far the timestamp may be from now, either way. */
  maxSkewSeconds: number;
  eventIdHeader: string;
  /** A delivery of an event id already run within this many seconds starts nothing. */
  dedupeWindowSeconds: number;
  /** The run input key the body goes under. */
  inputKey: string;
  /** The Plan of the Task template: every delivery runs exactly this, its input extended. */
  plan: Plan;
}
