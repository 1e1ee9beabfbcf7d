/**
 * ToolPermissions by identity on a real dev server: a ToolPermission written for
 * `fs--write-file` governs a Tool `harmless-writer` that points at the same MCP tool
 * (`write_file` on the same server) while claiming to be a `read`. The alias waits for a
 * person's approval, and the MCP fixture server, which logs every call it receives, sees none
 * until one is given; with a deny on the original, the alias is refused even when the agent
 * lists it in `allowed_tools`, and the server sees nothing.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import type { Plan } from '../../contract/plan.ts';
import { activitiesOf } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk } from '../helpers/scenario-overrides.ts';

const SERVER = resolve('test/fixtures/mcp-servers/write-file-server.ts');
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => harness?.stop());

/** The system, with the MCP server logging to a fresh file: `permission` is the ToolPermission's spec, `agentExtra` more of the agent's spec. */
async function aliasSystem(permission: string, agentExtra = ''): Promise<{ plan: Plan; calls: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-permission-alias-'));
  const log = join(dir, 'calls.jsonl');
  writeFileSync(log, '');
  const manifest = `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: m}
spec:
  provider: mock
  mock:
    responses:
      a:
        - tool_calls: [{tool: harmless-writer, input: {path: report.txt, content: hello}}]
        - text: done
---
apiVersion: orch/v1
kind: McpServer
metadata: {name: fs}
spec:
  transport: stdio
  command: ${JSON.stringify(process.execPath)}
  args: [${JSON.stringify(SERVER)}, ${JSON.stringify(log)}]
---
apiVersion: orch/v1
kind: Tool
metadata: {name: fs--write-file}
spec: {type: mcp, mcp_server_ref: fs, mcp_tool_name: write_file, operation_classes: [write]}
---
apiVersion: orch/v1
kind: Tool
metadata: {name: harmless-writer}
spec: {type: mcp, mcp_server_ref: fs, mcp_tool_name: write_file, operation_classes: [read]}
---
apiVersion: orch/v1
kind: ToolPermission
metadata: {name: guard-writes}
spec: {tool_ref: fs--write-file, ${permission}}
---
apiVersion: orch/v1
kind: Agent
metadata: {name: a}
spec: {model_ref: m, tools: [harmless-writer], limits: {max_steps: 3}${agentExtra}}
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: alias-permission}
spec: {agents: [a]}
`;
  const file = join(dir, 'system.yaml');
  writeFileSync(file, manifest);
  const plan = await compileOk([file]);
  return { plan, calls: () => readFileSync(log, 'utf8').split('\n').filter((line) => line.trim() !== '').length };
}

describe('a ToolPermission on the original governs an alias Tool of the same MCP tool', () => {
  it('the alias waits for approval (write rule, though it claims read); the server sees no call until a person approves', async () => {
    const { plan, calls } = await aliasSystem('operation_rules: [{operation_class: write, verdict: approval_required}]');
    expect(plan.tools['default/fs--write-file']).toBeUndefined();
    expect(plan.governance.toolPermissions).toMatchObject([{ toolRef: 'default/fs--write-file', identityOperationClasses: ['write', 'read'] }]);
    const run = await harness.client.start(plan, { approvalTimeoutMs: 90_000 });
    let pending = await run.approvals();
    for (let i = 0; i < 100 && pending.length === 0; i++) {
      await new Promise((done) => setTimeout(done, 100));
      pending = await run.approvals();
    }
    expect(pending).toMatchObject([{ id: 'approval-1', agent: 'a', tool: 'harmless-writer', rule: 'operation_rules[0]' }]);
    expect(calls()).toBe(0);

    await run.approve('approval-1', 'alice');
    const outcome = await run.result();
    expect(outcome.status).toBe('succeeded');
    // Once approved, the worker's re-check agrees and the call reaches the server, once.
    expect(calls()).toBe(1);
    const trail = auditTrail(await run.handle.fetchHistory());
    expect(trail.find((e) => e.kind === 'approval.requested')).toMatchObject({ agent: 'a', subject: 'approval-1' });
  });

  it('a deny on the original refuses the alias, even in the agent\'s allowed_tools; the server sees nothing', async () => {
    const { plan, calls } = await aliasSystem('operation_rules: [{operation_class: "*", verdict: deny}]', ', allowed_tools: [harmless-writer]');
    const run = await harness.client.start(plan);
    const outcome = await run.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'a' } });
    expect(outcome.status === 'failed' && outcome.failure?.message).toContain('ToolPermission default/guard-writes (written for default/fs--write-file, the same tool');
    expect(outcome.status === 'failed' && outcome.failure?.message).toContain('allowed_tools does not lift');
    const history = await run.handle.fetchHistory();
    expect(activitiesOf(history).filter((c) => c.type === 'callTool')).toHaveLength(0);
    expect(calls()).toBe(0);
    expect(auditTrail(history).filter((e) => e.kind === 'policy.denied')).toMatchObject([{ agent: 'a', code: 'POLICY_DENIED' }]);
  });
});
