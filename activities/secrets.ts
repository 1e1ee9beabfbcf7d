/**
 * Secret resolution. Secrets are resolved here, inside activities, and nowhere else:
 * the Plan and the activity inputs carry only references, so no value ever reaches
 * workflow history. A secret is resolved for a destination, which the worker's bindings
 * must allow first (see secret-destinations.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { SecretRef } from '../contract/plan.ts';
import type { Destination, SecretDestinations } from './secret-destinations.ts';
import type { SecretValues } from '../contract/activity-io.ts';
import { isRetryable } from '../contract/failures.ts';

/** Where secret values come from, in precedence order: environment, then Secret manifests. */
export interface SecretSources {
  env: NodeJS.ProcessEnv;
  secrets: SecretValues;
  /**
   * Where each secret may go. Workers always have it; without it nothing is checked, which
   * only suits a process that connects to the endpoints of manifests it loaded itself (the
   * CLI's MCP discovery).
   */
  destinations?: SecretDestinations | undefined;
}

/** Variables that hold bindings, not values (see secret-destinations.ts). */
const BINDING_SUFFIX = '_DESTINATIONS';

/** The data key Orloj stores a single-value Secret under; env overrides address this key. */
export const DEFAULT_SECRET_KEY = 'value';

/**
 * The environment variables that may hold a secret, most specific first.
 *
 * `ORCH_SECRET_<NAME>` (upper-cased, non-alphanumerics as `_`) and Orloj's
 * `ORLOJ_SECRET_<name>` (as written) address the default `value` key. Another key is
 * addressed as `ORCH_SECRET_<NAME>_<KEY>` only: falling back to the bare name would
 * hand a `username` lookup the value meant for `password`.
 * The namespace is not part of the variable name, as in Orloj.
 */
export function secretEnvNames(ref: SecretRef): string[] {
  const name = envToken(ref.name);
  if (ref.key === DEFAULT_SECRET_KEY) return [`ORCH_SECRET_${name}`, `ORLOJ_SECRET_${ref.name}`];
  return [`ORCH_SECRET_${name}_${envToken(ref.key)}`];
}

function envToken(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** `namespace/name#key`: how a reference is named in messages. Never a value. */
export function describeSecretRef(ref: SecretRef): string {
  return `${ref.namespace}/${ref.name}#${ref.key}`;
}

/**
 * Resolves a secret reference to its value, or throws a non-retryable
 * `SECRET_NOT_FOUND` ApplicationFailure that names the reference (never a value).
 * Non-retryable because a retry on the same worker sees the same environment; the fix
 * is configuration, not time.
 */
export function resolveSecret(ref: SecretRef, sources: SecretSources): string {
  for (const name of secretEnvNames(ref)) {
    const value = sources.env[name];
    // An empty variable is treated as unset: an empty credential is never what was meant.
    if (value !== undefined && value !== '') return value;
  }
  const value = sources.secrets[`${ref.namespace}/${ref.name}`]?.[ref.key];
  if (value !== undefined && value !== '') return value;
  throw ApplicationFailure.create({
    type: 'SECRET_NOT_FOUND',
    nonRetryable: !isRetryable('SECRET_NOT_FOUND'),
    message:
      `secret ${describeSecretRef(ref)} not found: set ${secretEnvNames(ref).join(' or ')} on the worker, ` +
      `or define Secret ${ref.namespace}/${ref.name} with key "${ref.key}"`,
    details: [{ secretRef: { namespace: ref.namespace, name: ref.name, key: ref.key } }],
  });
}

/**
 * Resolves `ref` to be sent to `destination`: throws a non-retryable
 * `SECRET_DESTINATION_DENIED` (before the value is even looked up) when the worker's
 * bindings do not allow it, else as {@link resolveSecret}. `subject` names the caller.
 */
export function resolveSecretFor(ref: SecretRef, sources: SecretSources, destination: Destination, subject: string): string {
  sources.destinations?.check({ secret: ref }, destination, subject);
  return resolveSecret(ref, sources);
}

/**
 * Every secret value the worker holds: Secret manifests' values and the `ORCH_SECRET_*` /
 * `ORLOJ_SECRET_*` variables, plus the `extraVariables` (provider keys). What results are
 * redacted of, whichever secret a call used.
 */
export function heldSecretValues(sources: SecretSources, extraVariables: readonly string[] = []): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(sources.env)) {
    if (value === undefined || value === '') continue;
    const isSecret = (name.startsWith('ORCH_SECRET_') || name.startsWith('ORLOJ_SECRET_')) && !name.endsWith(BINDING_SUFFIX);
    if (isSecret || extraVariables.includes(name)) values.push(value);
  }
  for (const data of Object.values(sources.secrets)) for (const value of Object.values(data)) if (value !== '') values.push(value);
  return values;
}
