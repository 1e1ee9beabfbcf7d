/**
 * The failure catalog is complete and true: every code the source raises is in it, every code
 * in it is raised somewhere, failures are raised as retryable exactly when it says so, and the
 * sets the layers match on are the ones it gives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../contract/env-vars.ts';
import { codesIn, codesWhere, FAILURE_CATALOG, isRetryable, type FailureCode } from '../../contract/failures.ts';
import { DIAGNOSTIC_CODES } from '../../compiler/diagnostics.ts';
import { NEVER_RETRIED } from '../../workflows/interpreter.ts';
import { GOVERNANCE_FAILURES } from '../../workflows/run-failure.ts';

/** Every `.ts` source file outside contract/, with its text: not the tests, packages or build output. */
function sources(dir = '.'): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = dir === '.' ? entry.name : join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'test', 'dist', 'contract', '.orch', '.git'].includes(entry.name) ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [{ file: path, text: readFileSync(path, 'utf8') }] : [];
  });
}

const files = sources();
/** Codes kept in the catalog (they are pinned: tools match on them) that orch no longer emits. */
const RETIRED: readonly FailureCode[] = ['UNSUPPORTED_FIELD', 'UNSUPPORTED_KIND', 'UNSUPPORTED_MEMORY_PROVIDER'];
const known = (code: string) => code in FAILURE_CATALOG;

/** The codes `text` raises: as an ApplicationFailure's type, or the first argument of orch's failure constructors. */
function raisedCodes(text: string): string[] {
  const codes: string[] = [];
  for (const match of text.matchAll(/ApplicationFailure\.create\(\{/g)) {
    const type = /\btype: '([A-Z][A-Z0-9_]*)'/.exec(text.slice(match.index, match.index + 400));
    if (type) codes.push(type[1]!);
  }
  for (const match of text.matchAll(/\b(?:new (?:RunFailure|CallFailure|TemporalServerError)|activityFailure|fail|refuse\(context, turn, call,)\(?\s*'([A-Z][A-Z0-9_]*)'/g)) codes.push(match[1]!);
  return codes;
}

describe('the failure catalog', () => {
  it('has every code the source raises', () => {
    const raised = files.flatMap(({ file, text }) => raisedCodes(text).map((code) => ({ file, code })));
    expect(raised.length).toBeGreaterThan(30);
    expect(raised.filter(({ code }) => !known(code))).toEqual([]);
  });

  it('the layers that only name codes name catalog codes (or environment variables)', () => {
    const env = new Set(ENV_VARS.map((v) => v.name));
    const strays = files
      .filter(({ file }) => /^(workflows|policies|client|worker)\//.test(file))
      .flatMap(({ file, text }) => [...text.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)].map((m) => ({ file, code: m[1]! })))
      .filter(({ code }) => !known(code) && !env.has(code));
    expect(strays).toEqual([]);
  });

  it('has no code nothing raises or names, but the retired ones, which nothing does', () => {
    const all = files.map(({ text }) => text).join('\n');
    const named = (code: string) => all.includes(`'${code}'`);
    expect((Object.keys(FAILURE_CATALOG) as FailureCode[]).filter((code) => !RETIRED.includes(code) && !named(code))).toEqual([]);
    expect(RETIRED.filter(named)).toEqual([]);
  });

  it('the dev server raises exactly its server codes', () => {
    const raised = new Set(files.filter(({ file }) => file.startsWith('dev-server/')).flatMap(({ text }) => [...text.matchAll(/TemporalServerError\(\s*'([A-Z_]+)'/g)].map((m) => m[1]!)));
    expect([...raised].sort()).toEqual([...codesIn('server')].sort());
  });

  it('failures are raised retryable exactly when the catalog says they are retried', () => {
    // activityFailure takes it from the catalog; these are the failures created directly.
    const created = files.flatMap(({ file, text }) =>
      [...text.matchAll(/ApplicationFailure\.create\(\{/g)].flatMap((match) => {
        const body = text.slice(match.index, match.index + 400);
        const type = /\btype: '([A-Z][A-Z0-9_]*)'/.exec(body)?.[1];
        const flag = /\bnonRetryable: ([^,\n]+)/.exec(body)?.[1];
        return type && flag ? [{ file, type, flag }] : [];
      })
    );
    expect(created.length).toBeGreaterThan(3);
    const wrong = created.filter(({ file, type, flag }) => {
      if (flag === `!isRetryable('${type}')`) return false;
      // The one exception: the worker could not read the run's start to check the call; a retry may.
      if (file === 'worker/policy-interceptor.ts' && type === 'POLICY_DENIED' && flag === 'false') return false;
      return flag !== String(!isRetryable(type as FailureCode));
    });
    expect(wrong).toEqual([]);
  });
});

describe('sets derived from the catalog', () => {
  it('governance decisions, diagnostics and refusals are what they always were', () => {
    expect([...GOVERNANCE_FAILURES].sort()).toEqual(['APPROVAL_DENIED', 'APPROVAL_REQUIRED', 'APPROVAL_TIMEOUT', 'BUDGET_EXCEEDED', 'CONTRACT_VIOLATION', 'POLICY_DENIED', 'SECRET_DESTINATION_DENIED']);
    expect(DIAGNOSTIC_CODES).toHaveLength(43);
    expect(DIAGNOSTIC_CODES.slice(0, 3)).toEqual(['FILE_NOT_FOUND', 'FILE_UNREADABLE', 'YAML_SYNTAX']);
    const refusals = codesWhere((entry) => entry.category === 'refusal' || entry.refusal);
    expect([...refusals].sort()).toEqual(['APPROVAL_DENIED', 'APPROVAL_TIMEOUT', 'BUDGET_EXCEEDED', 'CONTRACT_VIOLATION', 'DELEGATION_LIMIT', 'INVALID_ARGUMENTS', 'POLICY_DENIED', 'TOOL_NOT_DECLARED', 'TOO_MANY_TOOL_CALLS']);
  });

  it('no activation is retried after a governance decision or a broken plan', () => {
    // The set before the catalog, plus codes never raised inside an activation (so no change).
    expect([...NEVER_RETRIED].sort()).toEqual([
      'AGENT_FAILED', 'AGENT_NOT_FOUND', 'APPROVAL_DENIED', 'APPROVAL_REQUIRED', 'APPROVAL_TIMEOUT', 'BUDGET_EXCEEDED', 'CANCELED', 'CONTRACT_VIOLATION',
      'FOREACH_NOT_ARRAY', 'HISTORY_LIMIT_REACHED', 'NO_MATCHING_WORKER', 'PLAN_VERSION_UNSUPPORTED', 'POLICY_DENIED', 'ROUTE_MISMATCH', 'RUN_FAILED',
      'RUN_OUTPUT_TOO_LARGE', 'RUN_STATE_TOO_LARGE', 'SECRET_DESTINATION_DENIED', 'TERMINATED', 'TIMED_OUT', 'TOOL_NOT_FOUND',
    ]);
    expect(NEVER_RETRIED.has('AGENT_TIMEOUT')).toBe(false);
  });
});
