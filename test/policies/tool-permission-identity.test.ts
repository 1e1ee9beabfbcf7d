/**
 * ToolPermissions by identity: a ToolPermission written for one tool governs every tool that
 * is the same tool (an alias Tool for the same MCP server tool, a Tool for the same HTTP
 * endpoint), with the operation classes every spelling of it declares; `allowed_tools` is not
 * widened by identity and cannot lift, through an alias, what was written for the original.
 * In the engine (plans built in code and compiled plans) and in the worker's re-check.
 */
import { describe, expect, it } from 'vitest';
import type { GateCheck, ToolCallRequest } from '../../contract/activity-io.ts';
import { compile } from '../../compiler/index.ts';
import type { Plan, PlanMcpServer, PlanTool, PlanToolPermission } from '../../contract/plan.ts';
import { evaluateToolCall, type PolicyDecision } from '../../policies/engine.ts';
import { recheckToolCall } from '../../policies/recheck.ts';
import { errorsOf, writeManifests } from '../compiler/helpers.ts';
import { agent, mcpServer, tool, toolPermission, world } from './fixtures.ts';

const FS: PlanMcpServer = mcpServer('fs');

/** A Tool of `type: mcp` named `name` that calls `toolName` on server fs, declaring `operationClasses`. */
function mcpAlias(name: string, toolName: string, operationClasses: string[]): PlanTool {
  return tool(name, { type: 'mcp', endpoint: null, operationClasses, mcp: { server: 'default/fs', tool: toolName, discovered: false } });
}

const APPROVE_WRITES = { operationRules: [{ operationClass: 'write', verdict: 'approval_required' as const }] };
const DENY_ALL = { operationRules: [{ operationClass: '*', verdict: 'deny' as const }] };

/** A plan whose agent `worker` is offered `tools` (every one unless `offered` says), under `permissions`. */
function permissionWorld(tools: PlanTool[], permissions: PlanToolPermission[], agentOverrides: Parameters<typeof agent>[1] = {}, offered?: string[]): Plan {
  const keys = offered ?? tools.map((t) => `default/${t.id.name}`);
  const plan = world({ tools, toolPermissions: permissions, agents: [agent('worker', { tools: keys, ...agentOverrides })] });
  plan.mcpServers = { 'default/fs': FS };
  return plan;
}

function decide(plan: Plan, name: string): PolicyDecision {
  return evaluateToolCall(plan, { agent: 'worker', toolKey: `default/${name}` });
}

/** What the workflow schedules for a call of `toolKey` in `plan` (approved or not); the worker re-checks it. */
function activityRequest(plan: Plan, toolKey: string, approved: boolean): ToolCallRequest {
  const planTool = plan.tools[toolKey]!;
  const gate: GateCheck = {
    system: plan.system.name,
    task: plan.task?.name ?? null,
    agent: 'a',
    agentSpec: plan.agents['a']!,
    governance: plan.governance,
    approval: approved ? { id: 'approval-1', decidedBy: 'alice' } : null,
  };
  const mcpServer = planTool.mcp ? plan.mcpServers[planTool.mcp.server] ?? null : null;
  return { agent: 'a', step: 1, tool: planTool, mcpServer, call: { id: 'c1', name: planTool.name, input: {} }, toolKey, gate };
}

describe('a ToolPermission governs every tool with the identity of the one it names (plans built in code)', () => {
  const WRITE = mcpAlias('fs--write-file', 'write_file', ['write']);
  const HARMLESS = mcpAlias('harmless-writer', 'write_file', ['read']);

  it('an alias of an MCP tool gets the original\'s approval_required', () => {
    const plan = permissionWorld([WRITE, HARMLESS], [toolPermission('writes', 'default/fs--write-file', APPROVE_WRITES)]);
    expect(decide(plan, 'fs--write-file')).toMatchObject({ verdict: 'approval_required', operationClass: 'write' });
    const alias = decide(plan, 'harmless-writer');
    expect(alias).toMatchObject({
      verdict: 'approval_required',
      code: 'APPROVAL_REQUIRED',
      policy: 'ToolPermission default/writes',
      rule: 'operation_rules[0]',
      operationClass: 'write',
      sameToolAs: { toolRef: 'default/fs--write-file', identity: 'mcp default/fs write-file' },
    });
    expect(alias.reason).toContain('written for default/fs--write-file, the same tool');
  });

  it('an alias of an HTTP endpoint gets the original\'s deny', () => {
    const publish = tool('publish', { endpoint: 'https://api.example.com/v1/publish', operationClasses: ['write'] });
    const alias = tool('post-note', { endpoint: 'HTTPS://API.Example.com:443/v1//publish/?draft=1', operationClasses: ['read'] });
    const plan = permissionWorld([publish, alias], [toolPermission('no-publish', 'default/publish', DENY_ALL)]);
    expect(decide(plan, 'publish')).toMatchObject({ verdict: 'deny', code: 'POLICY_DENIED' });
    expect(decide(plan, 'post-note')).toMatchObject({
      verdict: 'deny',
      code: 'POLICY_DENIED',
      policy: 'ToolPermission default/no-publish',
      sameToolAs: { toolRef: 'default/publish', identity: 'http https://api.example.com/v1/publish' },
    });
  });

  it('an alias that claims read for a tool another Tool declares write is judged a write', () => {
    // The permission is written for the alias itself, and only has a rule for writes.
    const plan = permissionWorld([WRITE, HARMLESS], [toolPermission('alias-writes', 'default/harmless-writer', APPROVE_WRITES)], {}, ['default/harmless-writer']);
    expect(decide(plan, 'harmless-writer')).toMatchObject({ verdict: 'approval_required', operationClass: 'write' });
    // Without the Tool that tells the truth, the alias's read is all there is.
    const alone = permissionWorld([HARMLESS], [toolPermission('alias-writes', 'default/harmless-writer', APPROVE_WRITES)]);
    expect(decide(alone, 'harmless-writer')).toMatchObject({ verdict: 'allow', code: null });
  });

  it('required_permissions written for the original apply to the alias', () => {
    const plan = permissionWorld(
      [WRITE, HARMLESS],
      [toolPermission('writers-only', 'default/fs--write-file', { requiredPermissions: ['tool:fs--write-file:invoke'] })],
      { roles: ['default/reader'] }
    );
    plan.governance.roles = { 'default/reader': { permissions: ['tool:harmless-writer:invoke'] } };
    expect(decide(plan, 'harmless-writer')).toMatchObject({ verdict: 'deny', rule: 'required_permissions', missingPermissions: ['tool:fs__write_file:invoke'] });
  });

  it('an unrelated tool is unaffected', () => {
    const read = mcpAlias('fs--read-file', 'read_file', ['write']);
    const other = tool('search', { endpoint: 'https://api.example.com/v1/search', operationClasses: ['write'] });
    const plan = permissionWorld([WRITE, HARMLESS, read, other], [toolPermission('writes', 'default/fs--write-file', { operationRules: [{ operationClass: '*', verdict: 'deny' }] })]);
    expect(decide(plan, 'harmless-writer')).toMatchObject({ verdict: 'deny' });
    for (const name of ['fs--read-file', 'search']) {
      expect(decide(plan, name)).toMatchObject({ verdict: 'allow', code: null, reason: expect.stringContaining('no ToolPermission covers') });
    }
  });
});

describe('allowed_tools is matched by name, and an alias in it lifts nothing written for the original', () => {
  const WRITE = mcpAlias('fs--write-file', 'write_file', ['write']);
  const HARMLESS = mcpAlias('harmless-writer', 'write_file', ['read']);
  const denyOriginal = [toolPermission('no-writes', 'default/fs--write-file', DENY_ALL)];

  it('the alias in allowed_tools is still denied by a ToolPermission on the original', () => {
    const plan = permissionWorld([WRITE, HARMLESS], denyOriginal, { allowedTools: ['default/harmless-writer'] });
    const decision = decide(plan, 'harmless-writer');
    expect(decision).toMatchObject({ verdict: 'deny', policy: 'ToolPermission default/no-writes', rule: 'operation_rules[0]' });
    expect(decision.reason).toContain('allowed_tools does not lift a ToolPermission written for another name of the same tool (default/fs--write-file)');
  });

  it('nor is an approval on the original lifted, even with unknown roles', () => {
    const plan = permissionWorld([WRITE, HARMLESS], [toolPermission('writes', 'default/fs--write-file', APPROVE_WRITES)], { allowedTools: ['harmless-writer'] });
    expect(decide(plan, 'harmless-writer')).toMatchObject({ verdict: 'approval_required' });
    plan.agents['worker']!.roles = ['default/ghost'];
    expect(decide(plan, 'harmless-writer')).toMatchObject({ verdict: 'deny', rule: 'roles' });
  });

  it('a permission written for the alias itself is lifted, as Orloj lifts any for a tool allowed_tools names', () => {
    const plan = permissionWorld([WRITE, HARMLESS], [toolPermission('alias', 'default/harmless-writer', DENY_ALL)], { allowedTools: ['default/harmless-writer'] });
    expect(decide(plan, 'harmless-writer')).toMatchObject({ verdict: 'allow', rule: 'allowed_tools' });
  });

  it('allowed_tools naming the original as well lifts it for both; naming only the original does not widen to the alias', () => {
    const both = permissionWorld([WRITE, HARMLESS], denyOriginal, { allowedTools: ['default/fs--write-file', 'default/harmless-writer'] });
    expect(decide(both, 'harmless-writer')).toMatchObject({ verdict: 'allow', rule: 'allowed_tools' });
    const original = permissionWorld([WRITE, HARMLESS], denyOriginal, { allowedTools: ['default/fs--write-file'] });
    expect(decide(original, 'fs--write-file')).toMatchObject({ verdict: 'allow', rule: 'allowed_tools' });
    expect(decide(original, 'harmless-writer')).toMatchObject({ verdict: 'deny', policy: 'ToolPermission default/no-writes' });
  });
});

/** Manifests: MCP server fs; Tool fs--write-file (write) and the alias harmless-writer (claims read); HTTP publish and its alias. */
function manifests(extra: string, agentSpec: string): string {
  return `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: m}
spec: {provider: mock}
---
apiVersion: orch/v1
kind: McpServer
metadata: {name: fs}
spec: {transport: stdio, command: node, args: [write-file-server.mjs, /data]}
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
kind: Tool
metadata: {name: publish}
spec: {type: http, endpoint: "https://api.example.com/v1/publish", operation_classes: [write]}
---
apiVersion: orch/v1
kind: Tool
metadata: {name: post-note}
spec: {type: http, endpoint: "https://API.example.com:443/v1/publish/", operation_classes: [read]}
---
apiVersion: orch/v1
kind: Tool
metadata: {name: search}
spec: {type: http, endpoint: "https://api.example.com/v1/search"}
---
apiVersion: orch/v1
kind: Agent
metadata: {name: a}
spec: {model_ref: m, ${agentSpec}}
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: s}
spec: {agents: [a]}
${extra}`;
}

const PERMISSIONS = `---
apiVersion: orch/v1
kind: ToolPermission
metadata: {name: approve-writes}
spec:
  tool_ref: fs--write-file
  operation_rules: [{operation_class: write, verdict: approval_required}]
---
apiVersion: orch/v1
kind: ToolPermission
metadata: {name: no-publish}
spec:
  tool_ref: publish
  operation_rules: [{operation_class: "*", verdict: deny}]
`;

async function compiled(extra: string, agentSpec: string): Promise<Plan> {
  const { system } = writeManifests({ system: manifests(extra, agentSpec) }) as { system: string };
  const { plan, diagnostics } = await compile([system]);
  expect(errorsOf(diagnostics)).toEqual([]);
  return plan!;
}

function decideCompiled(plan: Plan, name: string): PolicyDecision {
  return evaluateToolCall(plan, { agent: 'a', toolKey: `default/${name}` });
}

describe('compiled: the plan keeps the ToolPermissions of an alias\'s original, and the worker agrees', () => {
  it('keeps a ToolPermission whose tool is not in the plan when an alias of it is, with the identities and operation classes the engine needs', async () => {
    const plan = await compiled(PERMISSIONS, 'tools: [harmless-writer, post-note, search]');
    expect(Object.keys(plan.tools).sort()).toEqual(['default/harmless-writer', 'default/post-note', 'default/search']);
    const [writes, publish] = plan.governance.toolPermissions;
    expect(plan.governance.toolPermissions).toHaveLength(2);
    expect(writes).toMatchObject({ toolRef: 'default/fs--write-file', identityOperationClasses: ['write', 'read'] });
    expect(writes!.toolIdentities).toEqual(['mcp default/fs write-file', `mcp stdio ${JSON.stringify(['node', 'write-file-server.mjs', '/data'])} write-file`]);
    expect(publish).toMatchObject({ toolRef: 'default/publish', toolIdentities: ['http https://api.example.com/v1/publish'], identityOperationClasses: ['write', 'read'] });
  });

  it('does not keep a ToolPermission for a tool that is neither in the plan nor the same as one in it', async () => {
    const plan = await compiled(PERMISSIONS, 'tools: [search]');
    expect(plan.governance.toolPermissions).toEqual([]);
  });

  it('a permission whose tool has no alias carries no identity facts (the plan is as before)', async () => {
    const plan = await compiled(PERMISSIONS.replace('tool_ref: publish', 'tool_ref: search'), 'tools: [search]');
    expect(plan.governance.toolPermissions).toHaveLength(1);
    expect(plan.governance.toolPermissions[0]).not.toHaveProperty('toolIdentities');
    expect(plan.governance.toolPermissions[0]).not.toHaveProperty('identityOperationClasses');
  });

  it('the MCP alias waits for approval and the HTTP alias is denied; search is unaffected', async () => {
    const plan = await compiled(PERMISSIONS, 'tools: [harmless-writer, post-note, search]');
    expect(decideCompiled(plan, 'harmless-writer')).toMatchObject({ verdict: 'approval_required', policy: 'ToolPermission default/approve-writes', operationClass: 'write' });
    expect(decideCompiled(plan, 'post-note')).toMatchObject({ verdict: 'deny', policy: 'ToolPermission default/no-publish' });
    expect(decideCompiled(plan, 'search')).toMatchObject({ verdict: 'allow', code: null });
  });

  it('an MCP-generated tool (no Tool resource) governs its alias too', async () => {
    const extra = `---
apiVersion: orch/v1
kind: ToolPermission
metadata: {name: approve-any}
spec:
  tool_ref: fs--read-file
  operation_rules: [{operation_class: "*", verdict: approval_required}]
---
apiVersion: orch/v1
kind: Tool
metadata: {name: reader}
spec: {type: mcp, mcp_server_ref: fs, mcp_tool_name: read_file}
`;
    const plan = await compiled(extra, 'tools: [reader, search]');
    expect(plan.governance.toolPermissions).toMatchObject([{ toolRef: 'default/fs--read-file', identityOperationClasses: ['read'] }]);
    expect(decideCompiled(plan, 'reader')).toMatchObject({ verdict: 'approval_required', policy: 'ToolPermission default/approve-any' });
  });

  it('an alias that claims read is judged by the write another Tool of its identity declares, though that Tool is not in the plan', async () => {
    const extra = `---
apiVersion: orch/v1
kind: ToolPermission
metadata: {name: alias-writes}
spec:
  tool_ref: harmless-writer
  operation_rules: [{operation_class: write, verdict: approval_required}]
`;
    const plan = await compiled(extra, 'tools: [harmless-writer]');
    expect(plan.tools['default/harmless-writer']!.operationClasses).toEqual(['read']);
    expect(plan.governance.toolPermissions).toMatchObject([{ toolRef: 'default/harmless-writer', identityOperationClasses: ['read', 'write'] }]);
    expect(decideCompiled(plan, 'harmless-writer')).toMatchObject({ verdict: 'approval_required', operationClass: 'write' });
    expect(recheckToolCall(activityRequest(plan, 'default/harmless-writer', false))).toMatchObject({ allowed: false });
  });

  it('allowed_tools on the alias does not lift the deny on the original', async () => {
    const plan = await compiled(PERMISSIONS, 'tools: [harmless-writer, post-note], allowed_tools: [harmless-writer, post-note]');
    expect(plan.agents['a']!.allowedTools).toEqual(['default/harmless-writer', 'default/post-note']);
    expect(decideCompiled(plan, 'post-note')).toMatchObject({ verdict: 'deny', policy: 'ToolPermission default/no-publish' });
    expect(decideCompiled(plan, 'harmless-writer')).toMatchObject({ verdict: 'approval_required' });
  });

  it('the worker\'s re-check, holding only the called tool, reaches the workflow\'s verdict', async () => {
    const plan = await compiled(PERMISSIONS, 'tools: [harmless-writer, post-note, search]');
    // Not approved: refused on the worker for the same reason the workflow gave.
    const unapproved = recheckToolCall(activityRequest(plan, 'default/harmless-writer', false));
    expect(unapproved).toEqual({ allowed: false, reason: decideCompiled(plan, 'harmless-writer').reason });
    // Approved by a person: runs.
    expect(recheckToolCall(activityRequest(plan, 'default/harmless-writer', true))).toEqual({ allowed: true });
    // A deny stands even with an approval.
    expect(recheckToolCall(activityRequest(plan, 'default/post-note', true))).toEqual({ allowed: false, reason: decideCompiled(plan, 'post-note').reason });
    expect(recheckToolCall(activityRequest(plan, 'default/search', false))).toEqual({ allowed: true });
  });

  it('the worker judges a call carrying the original\'s endpoint under an unrelated name as the original', async () => {
    const plan = await compiled(PERMISSIONS, 'tools: [post-note, search]');
    const request = activityRequest(plan, 'default/search', false);
    request.tool = { ...request.tool, endpoint: 'https://api.example.com/v1/publish' };
    expect(recheckToolCall(request)).toMatchObject({ allowed: false, reason: expect.stringContaining('ToolPermission default/no-publish') });
  });
});
