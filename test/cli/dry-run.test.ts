/**
 * `orch dry-run`: manifests' policies judged against a run already made, calling nothing.
 * A recorded run (a supervisor's tool calls, its delegate's child run, their tokens) is judged
 * under the same manifests (nothing changes: exit 0) and under manifests with new policies (a
 * blocked tool, an approval rule reaching into the child run, a token limit: exit 1, each change
 * located at its history event, naming the policy and rule). Bad input is a located error.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { compileOk, httpTool, writeOverride } from '../helpers/scenario-overrides.ts';
import { pollFor } from '../helpers/worker-process.ts';
import { diagnosticHeads, orch, STACK_FRAME } from './cli-harness.ts';

let harness: Harness;
let stub: RecordingServer;
let bundle: string;
let workflowId: string;
let toolCallsBefore: number;

const usage = (input: number, output: number) => ({ input_tokens: input, output_tokens: output });

beforeAll(async () => {
  harness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
  stub = await startRecordingServer();
  bundle = writeOverride([
    {
      apiVersion: 'orch/v1',
      kind: 'ModelEndpoint',
      metadata: { name: 'dry-model' },
      spec: {
        provider: 'mock',
        default_model: 'mock-1',
        mock: {
          responses: {
            boss: [
              { tool_calls: [{ tool: 'lookup', input: { q: 'a' } }, { tool: 'publish', input: { slug: 'x' } }], usage: usage(300, 100) },
              { tool_calls: [{ tool: 'delegate--hand', input: { task: 'check' } }], usage: usage(300, 100) },
              { text: 'done', usage: usage(300, 100) },
            ],
            hand: [{ tool_calls: [{ tool: 'lookup', input: { q: 'b' } }], usage: usage(200, 50) }, { text: 'checked', usage: usage(200, 50) }],
          },
        },
      },
    },
    httpTool('default', 'lookup', `${stub.url}/lookup`, { operation_classes: ['read'] }),
    httpTool('default', 'publish', `${stub.url}/publish`, { operation_classes: ['write'] }),
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'boss' }, spec: { model_ref: 'dry-model', prompt: 'lead', tools: ['lookup', 'publish'] } },
    { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'hand' }, spec: { model_ref: 'dry-model', prompt: 'check', tools: ['lookup'] } },
    { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'dry-system' }, spec: { agents: ['boss', 'hand'], graph: { boss: { delegates: ['hand'] } } } },
  ]);
  const run = await harness.client.start(await compileOk([bundle]));
  expect(await run.result()).toMatchObject({ status: 'succeeded', output: 'done' });
  workflowId = run.workflowId;
  toolCallsBefore = stub.requests.length;
});
afterAll(async () => {
  await harness?.stop();
  await stub?.close();
});

/** The policies proposed: a blocked tool (fed back), a token limit, an approval rule for the delegate's lookups. */
function proposedPolicies(): string {
  return writeOverride([
    { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'no-publish' }, spec: { apply_mode: 'global', blocked_tools: ['publish'], on_violation: 'feedback' } },
    { apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'token-cap' }, spec: { apply_mode: 'global', max_tokens_per_run: 1000 } },
    {
      apiVersion: 'orch/v1',
      kind: 'ToolPermission',
      metadata: { name: 'hand-lookups-need-approval' },
      spec: { tool_ref: 'lookup', action: 'invoke', apply_mode: 'scoped', target_agents: ['hand'], operation_rules: [{ operation_class: 'read', verdict: 'approval_required' }] },
    },
  ]);
}

describe('orch dry-run', () => {
  it('the manifests the run ran: every decision the same, exit 0', async () => {
    const result = await orch(['dry-run', bundle, '--run', workflowId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^same {5}${workflowId} \\(dry-system\\): 9 calls, 0 decisions and 0 budget limits changed$`, 'm'));
    expect(result.stdout).toMatch(/^1 run judged: 0 would change, 1 would not$/m);
  });

  it('new policies: a blocked tool, an approval rule in the delegate\'s run, a token limit — each located, exit 1, nothing called', async () => {
    const proposed = proposedPolicies();
    const result = await orch(['dry-run', bundle, proposed, '--run', workflowId, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout.trim());
    expect(report).toMatchObject({ workflowId, system: 'dry-system', calls: 9 });
    const byName = (name: string) => report.changes.filter((change: { name: string }) => change.name === name);
    expect(byName('publish')).toEqual([
      expect.objectContaining({ workflowId, kind: 'tool', agent: 'boss', recorded: 'allow', verdict: 'deny', policy: 'AgentPolicy default/no-publish', rule: 'blocked_tools', onViolation: 'feedback', eventId: expect.any(Number) }),
    ]);
    // The delegate's lookup, in its own child run; the supervisor's lookup is not the hand's.
    expect(byName('lookup')).toEqual([
      expect.objectContaining({ workflowId: `${workflowId}/hand-1`, agent: 'hand', recorded: 'allow', verdict: 'approval_required', policy: 'ToolPermission default/hand-lookups-need-approval' }),
    ]);
    expect(report.changes).toHaveLength(2);
    // 400 + 400 tokens after the boss's first two calls, then the hand's 250: past 1000 at the hand's first call.
    expect(report.budgets).toEqual([expect.objectContaining({ limit: 'tokens', value: 1000, used: 1050, policy: 'AgentPolicy default/token-cap', onExhausted: 'fail', agent: 'hand' })]);
    // The publish change is at the event that scheduled it in the recorded history.
    const history = await harness.client.client.workflow.getHandle(workflowId).fetchHistory();
    const at = history.events!.find((event) => Number(event.eventId) === byName('publish')[0].eventId);
    expect(at?.activityTaskScheduledEventAttributes?.activityType?.name).toBe('callTool');

    const text = await orch(['dry-run', bundle, proposed, '--run', workflowId]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`^CHANGES  ${workflowId} \\(dry-system\\): 9 calls, 2 decisions and 1 budget limit changed$`, 'm'));
    expect(text.stdout).toMatch(/^ {2}#\d+ {2}boss {2}tool publish: allowed → denied by AgentPolicy default\/no-publish blocked_tools: the model would be told — /m);
    expect(text.stdout).toMatch(new RegExp(`^  ${workflowId}/hand-1 #\\d+  hand  tool lookup: allowed → approval required by ToolPermission default/hand-lookups-need-approval`, 'm'));
    expect(text.stdout).toMatch(/past tokens 1000 of AgentPolicy default\/token-cap \(1050 used\): the run would fail \(BUDGET_EXCEEDED\) here or earlier$/m);
    // Judging calls nothing.
    expect(stub.requests.length).toBe(toolCallsBefore);
  });

  it('--file judges exported histories without a server: the root run\'s history, the delegate\'s in a file of its own', async () => {
    const { historyToJSON } = await import('@temporalio/common/lib/proto-utils.js');
    const dir = mkdtempSync(join(tmpdir(), 'orch-dry-run-'));
    const files = await Promise.all(
      [workflowId, `${workflowId}/hand-1`].map(async (id, i) => {
        const file = join(dir, `history-${i}.json`);
        writeFileSync(file, historyToJSON(await harness.client.client.workflow.getHandle(id).fetchHistory()));
        return file;
      })
    );
    const result = await orch(['dry-run', bundle, proposedPolicies(), ...files.flatMap((file) => ['--file', file]), '--json'], { temporal: false });
    expect(result, result.stderr).toMatchObject({ code: 1 });
    const [root, child] = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(root.changes.map((c: { name: string; verdict: string }) => `${c.name} ${c.verdict}`)).toEqual(['publish deny']);
    expect(child.changes.map((c: { name: string; verdict: string }) => `${c.name} ${c.verdict}`)).toEqual(['lookup approval_required']);
    const missing = await orch(['dry-run', bundle, '--file', join(dir, 'nope.json')], { temporal: false });
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/nope\.json: no such file\n$/) });
  });

  it('--query judges every run the filter finds', async () => {
    const result = await pollFor(async () => {
      const found = await orch(['dry-run', bundle, '--query', `WorkflowId = "${workflowId}"`, '--json']);
      return found.stdout.trim() ? found : undefined;
    }, 20_000);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ workflowId, changes: [], budgets: [] });
  });

  it('bad input: located diagnostics, an unknown run, neither --run nor --query; never a stack trace', async () => {
    const broken = writeOverride([{ apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'broken' }, spec: { apply_mode: 'sometimes' } }]);
    const invalid = await orch(['dry-run', bundle, broken, '--run', workflowId]);
    expect(invalid.code).toBe(1);
    expect(diagnosticHeads(invalid.stderr).length).toBeGreaterThan(0);
    // The run is reported as not judged (others would still be), never as unchanged.
    expect(invalid.stdout).toContain(`NOT JUDGED  ${workflowId} (dry-system): the manifests do not compile for its system\n`);
    const unknown = await orch(['dry-run', bundle, '--run', `no-such-${randomUUID()}`]);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/: no such run\n$/) });
    expect((await orch(['dry-run', bundle])).code).toBe(2);
    expect((await orch(['dry-run', bundle, '--run', workflowId, '--query', 'x'])).code).toBe(2);
    expect((await orch(['dry-run', bundle, '--run', workflowId, '--file', 'x.json'])).code).toBe(2);
    for (const result of [invalid, unknown]) expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
