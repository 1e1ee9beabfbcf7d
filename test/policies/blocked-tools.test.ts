/**
 * `blocked_tools` by identity: a blocked tool is refused under every name it goes by (its
 * server-side name, its `<server>--<tool>` name, any Tool that points at it, any spelling that
 * normalizes to one of those or only looks like one), in the workflow's engine and in the
 * worker's re-check of what an activity carries.
 */
import { describe, expect, it } from 'vitest';
import type { GateCheck, ToolCallRequest } from '../../contract/activity-io.ts';
import { compile } from '../../compiler/index.ts';
import type { Plan, PlanMcpServer, PlanTool } from '../../contract/plan.ts';
import { evaluateDelegateCall, evaluateToolCall, type PolicyDecision } from '../../policies/engine.ts';
import { recheckToolCall } from '../../policies/recheck.ts';
import { errorsOf, fixture } from '../compiler/helpers.ts';
import { agent, mcpServer, mcpTool, policy, tool, world } from './fixtures.ts';


/** A Tool of `type: mcp` named `name` that calls `toolName` on `server`. */
function aliasTool(name: string, server: string, toolName: string): PlanTool {
  return tool(name, { type: 'mcp', endpoint: null, mcp: { server: `default/${server}`, tool: toolName, discovered: false } });
}

/** A world whose agent `worker` is offered `tools`, over the MCP servers `servers`, under one global policy blocking `blocked`. */
function blockedWorld(blocked: string[], tools: PlanTool[], servers: PlanMcpServer[] = [mcpServer('fs')]): Plan {
  const plan = world({ tools, policies: [policy('p', { applyMode: 'global', blockedTools: blocked })] });
  plan.mcpServers = Object.fromEntries(servers.map((s) => [`${s.id.namespace}/${s.id.name}`, s]));
  return plan;
}

function decide(plan: Plan, toolName: string): PolicyDecision {
  return evaluateToolCall(plan, { agent: 'worker', toolKey: `default/${toolName}` });
}

const WRITE = mcpTool('fs', 'write_file');
const READ = mcpTool('fs', 'read_file');
const HARMLESS = aliasTool('harmless-writer', 'fs', 'write_file');

describe('a blocked MCP tool under each of its names', () => {
  const cases: [string, string[], PlanTool[], string, NonNullable<PolicyDecision['blockedBy']>['match']][] = [
    ['the server-side name blocks the orch name', ['write_file'], [WRITE], 'fs--write-file', 'name'],
    ['the orch name blocks the orch name', ['fs--write-file'], [WRITE], 'fs--write-file', 'name'],
    ['the orch name blocks an alias Tool', ['fs--write-file'], [HARMLESS], 'harmless-writer', 'name'],
    ['the server-side name blocks an alias Tool', ['write_file'], [HARMLESS], 'harmless-writer', 'name'],
    ['an alias Tool blocks the orch name', ['harmless-writer'], [HARMLESS, WRITE], 'fs--write-file', 'identity'],
    ['an alias Tool blocks another alias', ['harmless-writer'], [HARMLESS, aliasTool('scribe', 'fs', 'write-file')], 'scribe', 'identity'],
    ['upper and mixed case', ['FS--Write-File'], [WRITE], 'fs--write-file', 'name'],
    ['a dot between server and tool', ['fs.write_file'], [HARMLESS], 'harmless-writer', 'name'],
    ['doubled underscores', ['fs__write__file'], [WRITE], 'fs--write-file', 'name'],
    ['one dash between server and tool', ['fs-write-file'], [WRITE], 'fs--write-file', 'name'],
    ['fullwidth letters (NFKC)', ['ｆｓ－－ｗｒｉｔｅ＿ｆｉｌｅ'], [WRITE], 'fs--write-file', 'name'],
    ['a zero-width space inside', ['write_\u200Bfile'], [WRITE], 'fs--write-file', 'name'],
    ['namespace-qualified', ['default/fs--write-file'], [HARMLESS], 'harmless-writer', 'name'],
    ['a Cyrillic ѕ in the entry', ['fѕ--write-file'], [WRITE], 'fs--write-file', 'confusable'],
    ['a Cyrillic і in the entry', ['wrіte_file'], [HARMLESS], 'harmless-writer', 'confusable'],
    ['a Greek ι in the entry', ['fs--wrιte-file'], [WRITE], 'fs--write-file', 'confusable'],
    ['fullwidth and Cyrillic together', ['ｆｓ－－ｗｒｉｔе'], [mcpTool('fs', 'write')], 'fs--write', 'confusable'],
    ['a Cyrillic е in the called tool name', ['write_file'], [aliasTool('scribe', 'fs', 'writе_file')], 'scribe', 'confusable'],
  ];
  it.each(cases)('%s', (_name, blocked, tools, called, match) => {
    const decision = decide(blockedWorld(blocked, tools), called);
    expect(decision).toMatchObject({ verdict: 'deny', code: 'POLICY_DENIED', policy: 'AgentPolicy default/p', rule: 'blocked_tools', blockedBy: { match } });
    expect(decision.reason).toContain(`blocks tool ${called}`);
  });

  it('Greek look-alikes in a name the policy blocks', () => {
    const plan = blockedWorld(['download'], [tool('dοwnlοad'), tool('mονe')]);
    expect(decide(plan, 'dοwnlοad')).toMatchObject({ verdict: 'deny', blockedBy: { entry: 'download', match: 'confusable', name: 'dοwnlοad' } });
    expect(decide(plan, 'mονe')).toMatchObject({ verdict: 'allow' });
  });

  it('two McpServers that run the same program are one server', () => {
    const plan = blockedWorld(['fs--write-file'], [mcpTool('files', 'write_file')], [mcpServer('fs'), mcpServer('files')]);
    expect(decide(plan, 'files--write-file')).toMatchObject({ verdict: 'deny', blockedBy: { entry: 'fs--write-file', match: 'identity' } });
  });

  it('the same MCP server over HTTP under two names is one server', () => {
    const http = { transport: 'http' as const, command: null, args: [], endpoint: 'https://mcp.example.com/mcp' };
    const plan = blockedWorld(['fs--write-file'], [mcpTool('remote', 'write_file')], [mcpServer('fs', http), mcpServer('remote', { ...http, endpoint: 'HTTPS://MCP.example.com:443/mcp/' })]);
    expect(decide(plan, 'remote--write-file')).toMatchObject({ verdict: 'deny', blockedBy: { match: 'identity' } });
  });

  it('does not block what is not the blocked tool', () => {
    expect(decide(blockedWorld(['fs--write-file'], [READ]), 'fs--read-file')).toMatchObject({ verdict: 'allow' });
    expect(decide(blockedWorld(['harmless-writer'], [HARMLESS, READ]), 'fs--read-file')).toMatchObject({ verdict: 'allow' });
    // Another program offering a tool of the same name is another tool, unless the entry is the bare server-side name.
    const other = [mcpServer('fs'), mcpServer('other', { args: ['other-server.mjs'] })];
    expect(decide(blockedWorld(['fs--write-file'], [mcpTool('other', 'write_file')], other), 'other--write-file')).toMatchObject({ verdict: 'allow' });
    expect(decide(blockedWorld(['write_file'], [mcpTool('other', 'write_file')], other), 'other--write-file')).toMatchObject({ verdict: 'deny', blockedBy: { match: 'name' } });
    expect(decide(blockedWorld(['write_file_v2'], [WRITE]), 'fs--write-file')).toMatchObject({ verdict: 'allow' });
  });

  it('the server-side name found by discovery at run time is matched too', () => {
    const plan = blockedWorld(['write_file'], [aliasTool('scribe', 'fs', 'save')]);
    expect(evaluateToolCall(plan, { agent: 'worker', toolKey: 'default/scribe' })).toMatchObject({ verdict: 'allow' });
    expect(evaluateToolCall(plan, { agent: 'worker', toolKey: 'default/scribe', mcpToolName: 'wrіte_file' })).toMatchObject({ verdict: 'deny', blockedBy: { match: 'confusable' } });
  });
});

describe('a blocked HTTP tool under another name', () => {
  const publish = tool('publish', { endpoint: 'https://API.example.com:443/v1/publish' });
  const alias = tool('lookup', { endpoint: 'https://api.example.com/v1//publish/?via=lookup' });
  const search = tool('search', { endpoint: 'https://api.example.com/v1/search' });

  it('two Tools with the same endpoint: blocking one blocks the other', () => {
    const plan = blockedWorld(['publish'], [publish, alias, search]);
    expect(decide(plan, 'lookup')).toMatchObject({
      verdict: 'deny',
      blockedBy: { entry: 'publish', match: 'identity', identity: 'http https://api.example.com/v1/publish' },
    });
    expect(decide(plan, 'search')).toMatchObject({ verdict: 'allow' });
  });

  it('the blocked Tool need not be in the plan: the compiler resolved what the entry names', () => {
    const plan = blockedWorld(['publish'], [alias]);
    expect(decide(plan, 'lookup')).toMatchObject({ verdict: 'allow' });
    plan.governance.policies[0]!.blockedToolIdentities = [{ entry: 'publish', identities: ['http https://api.example.com/v1/publish'] }];
    expect(decide(plan, 'lookup')).toMatchObject({ verdict: 'deny', blockedBy: { entry: 'publish', match: 'identity' } });
  });

  it('compiled from manifests: the alias endpoint and the alias MCP server are blocked, the rest runs', async () => {
    const { plan, diagnostics } = await compile([fixture('tool-aliases')]);
    expect(errorsOf(diagnostics)).toEqual([]);
    const call = (key: string) => evaluateToolCall(plan!, { agent: 'a', toolKey: key });
    expect(Object.keys(plan!.tools).sort()).toEqual(['default/files--read-file', 'default/files--write-file', 'default/lookup', 'default/search']);
    expect(call('default/lookup')).toMatchObject({ verdict: 'deny', blockedBy: { entry: 'publish', match: 'identity' } });
    expect(call('default/files--write-file')).toMatchObject({ verdict: 'deny', blockedBy: { entry: 'Fs.Write_File', match: 'identity' } });
    expect(call('default/search')).toMatchObject({ verdict: 'allow' });
    expect(call('default/files--read-file')).toMatchObject({ verdict: 'allow' });
  });
});

describe('delegation is a tool too', () => {
  function supervised(blocked: string[]): Plan {
    const plan = world({ agents: [agent('boss'), agent('writer')], tools: [], policies: [policy('p', { applyMode: 'global', blockedTools: blocked })] });
    plan.graph['boss'] = { edges: [], join: null, delegates: ['writer'] };
    return plan;
  }
  it.each([
    [['delegate--writer'], 'deny'],
    [['Delegate.Writer'], 'deny'],
    [['delegate--wrіter'], 'deny'],
    [['delegate--reader'], 'allow'],
    [[], 'allow'],
  ])('blocked %j: %s', (blocked, verdict) => {
    expect(evaluateDelegateCall(supervised(blocked), { agent: 'boss', delegate: 'writer' })).toMatchObject({ verdict });
  });
  it('refuses a delegate the supervisor does not have', () => {
    expect(evaluateDelegateCall(supervised([]), { agent: 'writer', delegate: 'boss' })).toMatchObject({ verdict: 'deny', policy: null });
  });
});

describe('the worker re-checks what the activity carries, not its name', () => {
  const FS = mcpServer('fs');
  function request(plan: Plan, tool: PlanTool, mcpServer: PlanMcpServer | null, toolKey = `default/${tool.id.name}`): ToolCallRequest {
    const gate: GateCheck = { system: plan.system.name, task: null, agent: 'worker', agentSpec: { ...plan.agents['worker']!, tools: [toolKey] }, governance: plan.governance, approval: null };
    return { agent: 'worker', step: 1, tool, mcpServer, call: { id: 'c1', name: tool.name, input: {} }, toolKey, gate };
  }

  it('an MCP call carrying the blocked server and tool under a harmless name is refused', () => {
    const plan = blockedWorld(['fs--write-file'], [READ]);
    // The activity names `harmless` on server `default/other`, but carries the server fs and `write_file`.
    const disguised = aliasTool('harmless', 'other', 'write_file');
    expect(recheckToolCall(request(plan, disguised, FS))).toMatchObject({ allowed: false });
    expect(recheckToolCall(request(plan, aliasTool('harmless', 'other', 'read_file'), FS))).toEqual({ allowed: true });
  });

  it('a server that runs the blocked program under another resource name is refused by what it runs', () => {
    const plan = blockedWorld(['fs--write-file'], [READ]);
    plan.governance.policies[0]!.blockedToolIdentities = [{ entry: 'fs--write-file', identities: [`mcp stdio ${JSON.stringify(['node', ...FS.args])} write-file`] }];
    const renamed = { ...FS, id: { namespace: 'default', name: 'scratch' } };
    expect(recheckToolCall(request(plan, aliasTool('notes', 'scratch', 'write_file'), renamed))).toMatchObject({ allowed: false });
    expect(recheckToolCall(request(plan, aliasTool('notes', 'scratch', 'write_file'), { ...renamed, args: ['elsewhere.mjs'] }))).toEqual({ allowed: true });
  });

  it('an HTTP call carrying the blocked endpoint under another name is refused', () => {
    const plan = blockedWorld(['publish'], [tool('search')]);
    plan.governance.policies[0]!.blockedToolIdentities = [{ entry: 'publish', identities: ['http https://api.example.com/v1/publish'] }];
    expect(recheckToolCall(request(plan, tool('search', { endpoint: 'https://api.example.com/v1/publish/' }), null))).toMatchObject({ allowed: false });
    expect(recheckToolCall(request(plan, tool('search', { endpoint: 'https://api.example.com/v1/search' }), null))).toEqual({ allowed: true });
  });

  it('a confusable name the workflow let through is refused on the worker', () => {
    const plan = blockedWorld(['write_file'], [READ]);
    const result = recheckToolCall(request(plan, aliasTool('scribe', 'fs', 'wrіte_file'), FS));
    expect(result).toMatchObject({ allowed: false });
    expect(!result.allowed && result.reason).toContain('looks like blocked_tools entry "write_file"');
  });
});
