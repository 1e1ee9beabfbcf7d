/**
 * The 5-field cron expressions a TaskSchedule's `schedule` takes (minute hour day-of-month
 * month day-of-week), checked field by field so a mistake is reported at the field that holds
 * it. Accepted: `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and month
 * and weekday names (`JAN`, `MON-FRI`, any case); day-of-week 7 is Sunday, as in every cron.
 * Exactly what Temporal's cron parser takes of that syntax, so an expression that compiles is
 * one the schedule accepts.
 */

export interface CronProblem {
  message: string;
  /** Where, in the expression, the offending part starts (0-based). */
  offset: number;
}

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Where the first name counts from (months are 1-based, weekdays 0-based). */
  namesFrom?: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, namesFrom: 0 },
];

/** A number or a name of the field, or null. */
function valueOf(text: string, rule: FieldRule): number | null {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const index = rule.names?.indexOf(text.toUpperCase() as never) ?? -1;
  return index < 0 ? null : index + (rule.namesFrom ?? 0);
}

function checkItem(item: string, rule: FieldRule, at: number): CronProblem | null {
  const fail = (message: string, offset = at) => ({ message: `${rule.name} "${item}": ${message}`, offset });
  const slash = item.indexOf('/');
  const base = slash < 0 ? item : item.slice(0, slash);
  if (slash >= 0) {
    const step = item.slice(slash + 1);
    if (!/^\d{1,2}$/.test(step) || Number(step) === 0) return fail(`the step "${step}" must be a number from 1`, at + slash + 1);
    if (base !== '*' && !base.includes('-')) return fail('a step needs "*" or a range before it ("*/5", "10-40/5")');
  }
  if (base === '*') return null;
  const dash = base.indexOf('-');
  const parts = dash < 0 ? [base] : [base.slice(0, dash), base.slice(dash + 1)];
  let offset = at;
  const values: number[] = [];
  for (const part of parts) {
    const value = valueOf(part, rule);
    const known = rule.names ? `${rule.min}-${rule.max} or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : `${rule.min}-${rule.max}`;
    if (value === null) return fail(`"${part}" is not a value (expected ${known})`, offset);
    if (value < rule.min || value > rule.max) return fail(`${value} is out of range (${known})`, offset);
    values.push(value);
    offset += part.length + 1;
  }
  if (values.length === 2 && values[0]! > values[1]!) return fail(`the range runs backwards (${parts[0]} after ${parts[1]})`);
  return null;
}

/** Null when `expression` is a valid 5-field cron expression; else the first problem, located. */
export function cronProblem(expression: string): CronProblem | null {
  const fields = [...expression.matchAll(/\S+/g)];
  if (fields.length !== 5) {
    const extra = fields[5];
    const message = `a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has ${fields.length}${fields.length === 6 ? ' (seconds are not supported)' : ''}`;
    return { message, offset: fields.length > 5 && extra ? extra.index : 0 };
  }
  for (const [i, match] of fields.entries()) {
    const rule = FIELDS[i]!;
    let at = match.index;
    for (const item of match[0].split(',')) {
      if (item === '') return { message: `${rule.name}: an empty list item`, offset: at };
      const problem = checkItem(item, rule, at);
      if (problem) return problem;
      at += item.length + 1;
    }
  }
  return null;
}
