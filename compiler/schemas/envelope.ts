/** The Kubernetes-style envelope every manifest shares: apiVersion, kind, metadata, spec. */
import { z } from 'zod';
import { fields, stringMap } from './common.ts';

export const API_VERSIONS = ['orch/v1', 'orloj.dev/v1'] as const;

/** Kinds orch validates and compiles. */
export const SUPPORTED_KINDS = [
  'Agent',
  'AgentSystem',
  'ModelEndpoint',
  'Secret',
  'Task',
  'AgentPolicy',
  'AgentRole',
  'ToolPermission',
  'Tool',
  'McpServer',
  'TaskSchedule',
  'TaskWebhook',
  'Memory',
  'Worker',
] as const;

/** Orloj kinds orch does not act on: validated (schemas/worker.ts), then a located ACCEPTED_NOT_ENFORCED warning; otherwise ignored. */
export const UNSUPPORTED_KINDS = ['ToolApproval'] as const;

export type SupportedKind = (typeof SUPPORTED_KINDS)[number];
export type UnsupportedKind = (typeof UNSUPPORTED_KINDS)[number];
export type ResourceKind = SupportedKind | UnsupportedKind;

const ALL_KINDS: readonly ResourceKind[] = [...SUPPORTED_KINDS, ...UNSUPPORTED_KINDS];

/** The canonical spelling of a kind; Orloj matches kinds case-insensitively. */
export function canonicalKind(kind: string): ResourceKind | undefined {
  const wanted = kind.trim().toLowerCase();
  return ALL_KINDS.find((k) => k.toLowerCase() === wanted);
}

export function isSupportedKind(kind: ResourceKind): kind is SupportedKind {
  return (SUPPORTED_KINDS as readonly string[]).includes(kind);
}

/** Names and namespaces are reference targets: no slashes (they separate namespace and name), no spaces. */
const identifier = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((v) => !/[/\s]/.test(v), 'must not contain "/" or whitespace')
  // Names become keys of the plan's maps, where "__proto__" would be the prototype, not an entry.
  .refine((v) => v !== '__proto__', 'must not be "__proto__"');

export const metadataSchema = fields({
  name: identifier,
  namespace: identifier.optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  // Server-side bookkeeping Orloj writes back into exported manifests; accepted and ignored.
  resource_version: z.unknown().optional(),
  generation: z.unknown().optional(),
  created_at: z.unknown().optional(),
  uid: z.unknown().optional(),
});

export type MetadataInput = z.output<typeof metadataSchema>;

/** Top-level keys; `status` is what Orloj's API returns, so exported manifests carry it. */
export const ENVELOPE_KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;
