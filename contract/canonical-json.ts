/** Canonical JSON (keys sorted at every level): the bytes the plan hash is taken over, on both sides. */

/** Work left to do: a value to write, a literal to append, or an object or list to close. */
type Step = { value: unknown } | { text: string } | { leave: object; text: string };

const byCodeUnit = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * JSON with object keys sorted, so equal values always serialize to equal bytes. Iterative,
 * so no nesting depth can exhaust the stack (plan input also comes from `--input` and the
 * API, not only from bounded manifests). A value that contains itself is a TypeError, as
 * with `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const open = new Set<object>();
  const steps: Step[] = [{ value }];
  while (steps.length > 0) {
    const step = steps.pop()!;
    if ('leave' in step) {
      open.delete(step.leave);
      out.push(step.text);
      continue;
    }
    if ('text' in step) {
      out.push(step.text);
      continue;
    }
    const current = step.value;
    if (current === null || typeof current !== 'object') {
      out.push(JSON.stringify(current) ?? 'null');
      continue;
    }
    if (open.has(current)) throw new TypeError('canonicalJson: the value contains itself');
    open.add(current);
    // Children are pushed last-first, so they come off the stack in order.
    if (Array.isArray(current)) {
      out.push('[');
      steps.push({ leave: current, text: ']' });
      for (let i = current.length - 1; i >= 0; i -= 1) {
        const item: unknown = current[i];
        steps.push({ value: item === undefined ? null : item });
        if (i > 0) steps.push({ text: ',' });
      }
      continue;
    }
    const entries = Object.entries(current as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(byCodeUnit);
    out.push('{');
    steps.push({ leave: current, text: '}' });
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, item] = entries[i]!;
      steps.push({ value: item });
      steps.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
    }
  }
  return out.join('');
}
