/**
 * Pins every name orch puts on the wire, as literal values written here, not read from the
 * contract. Temporal records workflow, activity, query, update and sink names, task queues,
 * search attributes and failure types in the history of every run, and a run in flight replays
 * only against code that uses the same names: renaming one breaks replay of the runs in flight
 * (and the tools and queries that match on them). The workflow also decides from a failure's
 * code whether to retry an activation or end the run, so a code whose category or retryability
 * changed takes, on replay, another branch than the one history recorded. A change here is a
 * breaking change: keep the old name working beside the new one until no run uses it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { OrchActivities } from '../../contract/activity-io.ts';
import { FAILURE_CATALOG, type FailureCode } from '../../contract/failures.ts';
import * as attributes from '../../contract/search-attributes.ts';
import {
  ACTIVITY_TYPES,
  approvalsQuery,
  budgetQuery,
  decideApprovalUpdate,
  DEFAULT_TASK_QUEUE,
  defaultTaskQueue,
  MODEL_QUEUES_SINK,
  memoryOperationUpdate,
  memoryStatsQuery,
  progressQuery,
  resolveBudgetUpdate,
  WORKFLOW_TYPES,
  type OrchActivityType,
} from '../../contract/wire-names.ts';
import { createActivityRuntime } from '../../activities/index.ts';
import * as workflows from '../../workflows/index.ts';

describe('wire names', () => {
  it('workflow and activity types, queries, updates, the sink and the task queue are frozen', () => {
    expect(WORKFLOW_TYPES).toEqual({ run: 'orchRun', delegate: 'orchDelegate', memory: 'orchMemory' });
    expect(ACTIVITY_TYPES).toEqual({ callModel: 'callModel', callTool: 'callTool', listMcpTools: 'listMcpTools', callMemory: 'callMemory' });
    expect([memoryOperationUpdate, memoryStatsQuery]).toEqual([
      { type: 'update', name: 'memoryOperation' },
      { type: 'query', name: 'memoryStats' },
    ]);
    expect([progressQuery, approvalsQuery, budgetQuery]).toEqual([
      { type: 'query', name: 'progress' },
      { type: 'query', name: 'approvals' },
      { type: 'query', name: 'budget' },
    ]);
    expect([decideApprovalUpdate, resolveBudgetUpdate]).toEqual([
      { type: 'update', name: 'decideApproval' },
      { type: 'update', name: 'resolveBudget' },
    ]);
    expect(MODEL_QUEUES_SINK).toBe('orchModelQueues');
    expect(DEFAULT_TASK_QUEUE).toBe('orch');
    expect([defaultTaskQueue({}), defaultTaskQueue({ ORCH_TASK_QUEUE: 'fleet' })]).toEqual(['orch', 'fleet']);
  });

  it('search attributes keep their names and types', () => {
    const keys = [attributes.OrchSystem, attributes.OrchTask, attributes.OrchPlanHash, attributes.OrchStatus, attributes.OrchTotalTokens, attributes.OrchCostUsd, attributes.OrchDenials];
    expect(keys).toEqual([
      { name: 'OrchSystem', type: 'KEYWORD' },
      { name: 'OrchTask', type: 'KEYWORD' },
      { name: 'OrchPlanHash', type: 'KEYWORD' },
      { name: 'OrchStatus', type: 'KEYWORD' },
      { name: 'OrchTotalTokens', type: 'INT' },
      { name: 'OrchCostUsd', type: 'DOUBLE' },
      { name: 'OrchDenials', type: 'INT' },
    ]);
    expect(attributes.ORCH_SEARCH_ATTRIBUTES).toEqual([
      { name: 'OrchSystem', type: 'Keyword' },
      { name: 'OrchTask', type: 'Keyword' },
      { name: 'OrchPlanHash', type: 'Keyword' },
      { name: 'OrchStatus', type: 'Keyword' },
      { name: 'OrchTotalTokens', type: 'Int' },
      { name: 'OrchCostUsd', type: 'Double' },
      { name: 'OrchDenials', type: 'Int' },
    ]);
  });

  it('every failure code keeps its category and whether it is retried', () => {
    const codes = (Object.keys(FAILURE_CATALOG) as FailureCode[])
      .sort()
      .map((code) => [code, FAILURE_CATALOG[code].category, FAILURE_CATALOG[code].retryable]);
    expect(codes).toEqual(PINNED_CODES);
  });
});

describe('the code registers the names of the contract', () => {
  it('the workflow entry exports a workflow function per workflow type, and the shared definitions', () => {
    for (const type of Object.values(WORKFLOW_TYPES)) expect(typeof (workflows as Record<string, unknown>)[type], type).toBe('function');
    expect(workflows.progressQuery).toBe(progressQuery);
    expect([workflows.approvalsQuery, workflows.decideApprovalUpdate]).toEqual([approvalsQuery, decideApprovalUpdate]);
    expect([workflows.budgetQuery, workflows.resolveBudgetUpdate]).toEqual([budgetQuery, resolveBudgetUpdate]);
  });

  it('the activities a worker registers are the activity types', async () => {
    expectTypeOf<keyof OrchActivities>().toEqualTypeOf<OrchActivityType>();
    const runtime = createActivityRuntime({ env: {} });
    try {
      expect(Object.keys(runtime.activities).sort()).toEqual(Object.values(ACTIVITY_TYPES).sort());
    } finally {
      await runtime.close();
    }
  });

  it('outside the contract, wire names are spelt through its constants, never as string literals', () => {
    // The policy interceptor, the audit and the workflow compare against these names: a literal
    // there would survive a rename in the contract and silently stop matching.
    const literal = /['"](orchRun|orchDelegate|orchMemory|callModel|callTool|listMcpTools|callMemory|decideApproval|resolveBudget|memoryOperation|memoryStats|orchModelQueues)['"]/;
    const files = sourceFiles('.');
    expect(files).toEqual(expect.arrayContaining(['worker/policy-interceptor.ts', 'client/audit.ts', 'workflows/orch-run.ts']));
    expect(files.filter((file) => !file.startsWith('contract/') && literal.test(readFileSync(file, 'utf8')))).toEqual([]);
    expect(literal.test("if (activityType === 'callTool')")).toBe(true);
  });
});

/** Every `.ts` source file, as a path relative to the repository: not the tests, packages or build output. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = dir === '.' ? entry.name : join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'test', 'dist', '.orch', '.git'].includes(entry.name) ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Code, category, retried: sorted by code. */
const PINNED_CODES = [
  ['ACCEPTED_NOT_ENFORCED', 'diagnostic', false],
  ['ACTIVITY_FAILED', 'call', true],
  ['AGENT_FAILED', 'run', false],
  ['AGENT_MODEL_DENIED', 'diagnostic', false],
  ['AGENT_NOT_FOUND', 'run', false],
  ['AGENT_NOT_IN_SYSTEM', 'diagnostic', false],
  ['AGENT_TIMEOUT', 'run', true],
  ['AMBIGUOUS_SYSTEM', 'diagnostic', false],
  ['APPROVAL_DENIED', 'governance', false],
  ['APPROVAL_REQUIRED', 'governance', false],
  ['APPROVAL_TIMEOUT', 'governance', false],
  ['BUDGET_EXCEEDED', 'governance', false],
  ['CALL_TIMEOUT', 'call', true],
  ['CANCELED', 'run', false],
  ['CONFUSABLE_TOOL_NAME', 'diagnostic', false],
  ['CONTRACT_TOOL_NOT_OFFERED', 'diagnostic', false],
  ['CONTRACT_VIOLATION', 'governance', false],
  ['DELEGATION_FAILED', 'call', false],
  ['DELEGATION_LIMIT', 'refusal', false],
  ['DUPLICATE_FIELD', 'diagnostic', false],
  ['DUPLICATE_RESOURCE', 'diagnostic', false],
  ['FILE_NOT_FOUND', 'diagnostic', false],
  ['FILE_UNREADABLE', 'diagnostic', false],
  ['FOREACH_NOT_ARRAY', 'run', false],
  ['FOREACH_WITHOUT_OUTPUT_SCHEMA', 'diagnostic', false],
  ['HISTORY_LIMIT_REACHED', 'run', false],
  ['INVALID_ARGUMENTS', 'refusal', false],
  ['INVALID_CRON', 'diagnostic', false],
  ['INVALID_TYPE', 'diagnostic', false],
  ['INVALID_VALUE', 'diagnostic', false],
  ['MCP_DISCOVERY_FAILED', 'diagnostic', false],
  ['MISSING_FIELD', 'diagnostic', false],
  ['MODEL_AUTH_FAILED', 'call', false],
  ['MODEL_CALL_FAILED', 'call', true],
  ['MODEL_CONFIG_INVALID', 'call', false],
  ['MODEL_NOT_ALLOWED', 'diagnostic', false],
  ['MODEL_RATE_LIMITED', 'call', true],
  ['MODEL_REQUEST_INVALID', 'call', false],
  ['MODEL_RESPONSE_INVALID', 'call', true],
  ['MODEL_RESPONSE_TOO_LARGE', 'call', false],
  ['MODEL_TIMEOUT', 'call', true],
  ['MODEL_UNAVAILABLE', 'call', true],
  ['NESTING_TOO_DEEP', 'diagnostic', false],
  ['NOT_A_RESOURCE', 'diagnostic', false],
  ['NO_ENTRY_AGENT', 'diagnostic', false],
  ['NO_MATCHING_WORKER', 'run', false],
  ['NO_SYSTEM', 'diagnostic', false],
  ['OVERRIDE_UNMATCHED', 'diagnostic', false],
  ['PLAN_VERSION_UNSUPPORTED', 'run', false],
  ['POLICY_DENIED', 'governance', false],
  ['QUORUM_WITHOUT_THRESHOLD', 'diagnostic', false],
  ['REMOVED_FIELD', 'diagnostic', false],
  ['REQUIREMENTS_UNMATCHED', 'diagnostic', false],
  ['ROUTE_MISMATCH', 'run', false],
  ['RUN_FAILED', 'run', false],
  ['RUN_OUTPUT_TOO_LARGE', 'run', false],
  ['RUN_STATE_TOO_LARGE', 'run', false],
  ['SECRET_DESTINATION_DENIED', 'governance', false],
  ['SECRET_NOT_FOUND', 'call', false],
  ['STORED_PAYLOAD_CORRUPT', 'call', false],
  ['STORED_PAYLOAD_MISSING', 'call', false],
  ['STORE_UNAVAILABLE', 'call', true],
  ['TASK_IS_TEMPLATE', 'diagnostic', false],
  ['TEMPORAL_CLI_MISSING', 'server', false],
  ['TEMPORAL_CONFIG_INVALID', 'server', false],
  ['TEMPORAL_PORT_IN_USE', 'server', false],
  ['TEMPORAL_SERVER_EXITED', 'server', false],
  ['TEMPORAL_SERVER_TIMEOUT', 'server', false],
  ['TERMINATED', 'run', false],
  ['TIMED_OUT', 'run', false],
  ['TOOL_ALWAYS_DENIED', 'diagnostic', false],
  ['TOOL_AUTH_FAILED', 'call', false],
  ['TOOL_CALL_FAILED', 'call', true],
  ['TOOL_CONFIG_INVALID', 'call', false],
  ['TOOL_ENDPOINT_FORBIDDEN', 'call', false],
  ['TOOL_ERROR', 'call', false],
  ['TOOL_NOT_DECLARED', 'refusal', false],
  ['TOOL_NOT_FOUND', 'run', false],
  ['TOOL_REQUEST_INVALID', 'call', false],
  ['TOOL_RESPONSE_INVALID', 'call', false],
  ['TOOL_TIMEOUT', 'call', true],
  ['TOOL_UNAVAILABLE', 'call', true],
  ['TOO_MANY_TOOL_CALLS', 'refusal', false],
  ['UNBOUNDED_CYCLE', 'diagnostic', false],
  ['UNKNOWN_API_VERSION', 'diagnostic', false],
  ['UNKNOWN_FIELD', 'diagnostic', false],
  ['UNKNOWN_KIND', 'diagnostic', false],
  ['UNKNOWN_MCP_TOOL', 'diagnostic', false],
  ['UNKNOWN_REFERENCE', 'diagnostic', false],
  ['UNKNOWN_TIME_ZONE', 'diagnostic', false],
  ['UNSUPPORTED_FIELD', 'diagnostic', false],
  ['UNSUPPORTED_KIND', 'diagnostic', false],
  ['UNSUPPORTED_MEMORY_PROVIDER', 'diagnostic', false],
  ['UNSUPPORTED_REGEX', 'diagnostic', false],
  ['UNSUPPORTED_SCHEMA_KEYWORD', 'diagnostic', false],
  ['UNSUPPORTED_TOOL_TYPE', 'diagnostic', false],
  ['YAML_ALIAS_CYCLE', 'diagnostic', false],
  ['YAML_ALIAS_LIMIT', 'diagnostic', false],
  ['YAML_SYNTAX', 'diagnostic', false],
];
