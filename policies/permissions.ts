/**
 * Orloj's permission strings (`runtime/tool_authorizer.go`): how they are normalized, the
 * defaults a tool requires, and how a required set matches what an agent's roles grant.
 * Pure functions, no imports.
 */

/**
 * A permission as Orloj compares it: trimmed, lowercase, spaces removed, `/`, `\` and `-`
 * as `_` (so `tool:my-tool:invoke` ≡ `tool:My_Tool:invoke`). Empty means "no permission".
 */
export function normalizePermission(value: string): string {
  return value.trim().toLowerCase().replace(/ /g, '').replace(/[/\\-]/g, '_');
}

/** One segment of a permission (a tool name, an action, a capability): spaces also as `_`, then `_` and `:` trimmed off both ends. */
export function normalizePermissionToken(value: string): string {
  return value
    .trim()
    .replace(/[ /\\-]/g, '_')
    .toLowerCase()
    .replace(/^[_:]+|[_:]+$/g, '');
}

/** Normalizes, drops empties and repeats, keeping first-seen order. */
export function dedupePermissions(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    const normalized = normalizePermission(value);
    if (normalized !== '' && !out.includes(normalized)) out.push(normalized);
  }
  return out;
}

/** What a tool requires when no ToolPermission says otherwise: `tool:<tool>:<action>` and `capability:<c>` per capability. */
export function defaultRequiredPermissions(toolName: string, capabilities: readonly string[], action: string): string[] {
  const verb = normalizePermissionToken(action) || 'invoke';
  const out = [`tool:${normalizePermissionToken(toolName)}:${verb}`];
  for (const capability of capabilities) out.push(`capability:${normalizePermissionToken(capability)}`);
  return dedupePermissions(out);
}

/** The union of the permissions the given roles grant, normalized. */
export function grantedPermissions(rolePermissions: readonly (readonly string[])[]): Set<string> {
  const granted = new Set<string>();
  for (const permissions of rolePermissions) {
    for (const permission of permissions) {
      const normalized = normalizePermission(permission);
      if (normalized !== '') granted.add(normalized);
    }
  }
  return granted;
}

/**
 * Matches `required` against `granted`. `all`: every one must be held; `missing` lists those
 * that are not. `any`: one suffices; when none is held, `missing` lists them all (Orloj's
 * `required_any`). Nothing required is always met.
 */
export function matchPermissions(
  granted: ReadonlySet<string>,
  required: readonly string[],
  mode: 'all' | 'any'
): { ok: boolean; missing: string[] } {
  const wanted = dedupePermissions(required);
  if (wanted.length === 0) return { ok: true, missing: [] };
  if (mode === 'any') {
    return wanted.some((p) => granted.has(p)) ? { ok: true, missing: [] } : { ok: false, missing: wanted };
  }
  const missing = wanted.filter((p) => !granted.has(p));
  return { ok: missing.length === 0, missing };
}
