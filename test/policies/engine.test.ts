/**
 * The policy engine against Orloj's governance rules, table by table. Pure: plans are built
 * in code, nothing runs.
 */
import { describe, expect, it } from 'vitest';
import type { Plan, PlanToolPermission } from '../../contract/plan.ts';
import { applicablePolicies, evaluateModelCall, evaluateToolCall, type PolicyDecision } from '../../policies/engine.ts';
import { agent, mcpTool, policy, tool, toolPermission, world } from './fixtures.ts';

type Expected = Pick<PolicyDecision, 'verdict' | 'policy' | 'rule' | 'code'> & Partial<Pick<PolicyDecision, 'missingPermissions' | 'missingRoles' | 'operationClass'>>;

const ALLOWED_BY_DEFAULT: Expected = { verdict: 'allow', policy: null, rule: null, code: null };
const denied = (policyLabel: string | null, rule: string | null, extra: Partial<Expected> = {}): Expected => ({
  verdict: 'deny',
  policy: policyLabel,
  rule,
  code: 'POLICY_DENIED',
  ...extra,
});
const approval = (policyLabel: string, rule: string, extra: Partial<Expected> = {}): Expected => ({
  verdict: 'approval_required',
  policy: policyLabel,
  rule,
  code: 'APPROVAL_REQUIRED',
  ...extra,
});
const allowed = (policyLabel: string | null, rule: string | null, extra: Partial<Expected> = {}): Expected => ({
  verdict: 'allow',
  policy: policyLabel,
  rule,
  code: null,
  ...extra,
});

/** The decision, reduced to what the test asserts (reason is prose; it must only be there). */
function outcome(decision: PolicyDecision, expected: Expected): Partial<PolicyDecision> {
  expect(decision.reason.length).toBeGreaterThan(0);
  const picked: Partial<PolicyDecision> = {};
  for (const key of Object.keys(expected) as (keyof PolicyDecision)[]) (picked as Record<string, unknown>)[key] = decision[key];
  return picked;
}

function toolCase(plan: Plan, expected: Expected, toolKey = 'default/search', agentName = 'worker'): void {
  expect(outcome(evaluateToolCall(plan, { agent: agentName, toolKey }), expected)).toEqual(expected);
}

const BLOCK_SEARCH = { blockedTools: ['search'] };

describe('AgentPolicy applicability', () => {
  const cases: [string, Parameters<typeof policy>[1], Plan['task'] | undefined, boolean][] = [
    ['global, no targets', { applyMode: 'global' }, undefined, true],
    ['scoped (the default) with no targets matches nothing', {}, undefined, false],
    ['scoped to the system', { targetSystems: ['test-system'] }, undefined, true],
    ['scoped to the system, other case', { targetSystems: ['TEST-System'] }, undefined, true],
    ['scoped to the system as ns/name', { targetSystems: ['default/test-system'] }, undefined, true],
    ['scoped to another system', { targetSystems: ['other-system'] }, undefined, false],
    ['scoped to the system in another namespace', { targetSystems: ['prod/test-system'] }, undefined, false],
    ['scoped to the task', { targetTasks: ['test-task'] }, undefined, true],
    ['scoped to the task, other case', { targetTasks: ['Test-TASK'] }, undefined, true],
    ['scoped to a task, plan has none', { targetTasks: ['test-task'] }, null, false],
    ['scoped to another task', { targetTasks: ['nightly'] }, undefined, false],
    ['scoped to the agent', { targetAgents: ['worker'] }, undefined, true],
    ['scoped to the agent, other case', { targetAgents: ['WORKER'] }, undefined, true],
    ['scoped to another agent', { targetAgents: ['writer'] }, undefined, false],
  ];
  it.each(cases)('%s', (_name, overrides, task, applies) => {
    const plan = world({ policies: [policy('p', { ...BLOCK_SEARCH, ...overrides })] });
    if (task !== undefined) plan.task = task;
    expect(applicablePolicies(plan, 'worker').map((p) => p.id.name)).toEqual(applies ? ['p'] : []);
    toolCase(plan, applies ? denied('AgentPolicy default/p', 'blocked_tools') : ALLOWED_BY_DEFAULT);
  });

  it('a policy scoped to an agent matches the agent by its manifest name too', () => {
    const plan = world({ policies: [policy('p', { ...BLOCK_SEARCH, targetAgents: ['research-agent'] })] });
    plan.agents['researcher'] = { ...plan.agents['worker']!, id: { namespace: 'default', name: 'research-agent' } };
    toolCase(plan, denied('AgentPolicy default/p', 'blocked_tools'), 'default/search', 'researcher');
    toolCase(plan, ALLOWED_BY_DEFAULT, 'default/search', 'worker');
  });
});

describe('AgentPolicy blocked_tools', () => {
  const P = 'AgentPolicy default/p';
  const cases: [string, string[], ReturnType<typeof tool>, Expected][] = [
    ['exact name', ['search'], tool('search'), denied(P, 'blocked_tools')],
    ['upper case', ['SEARCH'], tool('search'), denied(P, 'blocked_tools')],
    ['mixed case tool name', ['web-search'], tool('Web-Search'), denied(P, 'blocked_tools')],
    ['_ in the policy, - in the tool', ['web_search'], tool('web-search'), denied(P, 'blocked_tools')],
    ['- in the policy, _ in the tool', ['Web-Search'], tool('web_search'), denied(P, 'blocked_tools')],
    ['namespace-qualified', ['default/search'], tool('search'), denied(P, 'blocked_tools')],
    ['by resource name when the model sees another name', ['search-resource'], tool('search-resource', { name: 'lookup' }), denied(P, 'blocked_tools')],
    ['by model-facing name when the resource is named otherwise', ['LOOKUP'], tool('search-resource', { name: 'lookup' }), denied(P, 'blocked_tools')],
    ['MCP-generated name', ['fs--write-file'], mcpTool('fs', 'write_file'), denied(P, 'blocked_tools')],
    ['MCP-generated name spelt with _', ['fs--write_file'], mcpTool('fs', 'write_file'), denied(P, 'blocked_tools')],
    ['MCP-generated name, upper case', ['FS--WRITE_FILE'], mcpTool('fs', 'write_file'), denied(P, 'blocked_tools')],
    ['another MCP tool of the same server', ['fs--write-file'], mcpTool('fs', 'read_file'), ALLOWED_BY_DEFAULT],
    ['another tool', ['delete'], tool('search'), ALLOWED_BY_DEFAULT],
    ['a prefix is not a match', ['sear'], tool('search'), ALLOWED_BY_DEFAULT],
    ['empty list', [], tool('search'), ALLOWED_BY_DEFAULT],
  ];
  it.each(cases)('%s', (_name, blockedTools, planTool, expected) => {
    const plan = world({ tools: [planTool], policies: [policy('p', { applyMode: 'global', blockedTools })] });
    toolCase(plan, expected, `default/${planTool.id.name}`);
  });

  it('names the policy that blocks when several apply', () => {
    const plan = world({
      policies: [policy('lenient', { applyMode: 'global', blockedTools: ['delete'] }), policy('strict', { targetAgents: ['worker'], ...BLOCK_SEARCH })],
    });
    toolCase(plan, denied('AgentPolicy default/strict', 'blocked_tools'));
  });

  it('blocks even a tool in allowed_tools, and an agent whose roles grant the tool', () => {
    const plan = world({
      agents: [agent('worker', { tools: ['default/search'], allowedTools: ['default/search'], roles: ['default/searcher'] })],
      roles: { 'default/searcher': ['tool:search:invoke'] },
      policies: [policy('p', { applyMode: 'global', ...BLOCK_SEARCH })],
    });
    toolCase(plan, denied('AgentPolicy default/p', 'blocked_tools'));
  });

  it('is checked before ToolPermissions', () => {
    const plan = world({
      policies: [policy('p', { applyMode: 'global', ...BLOCK_SEARCH })],
      toolPermissions: [toolPermission('tp', 'default/search', { operationRules: [{ operationClass: '*', verdict: 'approval_required' }] })],
    });
    toolCase(plan, denied('AgentPolicy default/p', 'blocked_tools'));
  });

  it('does not look at a policy that does not apply', () => {
    const plan = world({ policies: [policy('p', { targetSystems: ['elsewhere'], ...BLOCK_SEARCH })] });
    toolCase(plan, ALLOWED_BY_DEFAULT);
  });
});

describe('AgentPolicy allowed_models', () => {
  // The plan's mock endpoint is `default/mock` with default_model `mock-1`.
  const cases: [string, Parameters<typeof policy>[0][], Parameters<typeof policy>[1][], Expected][] = [
    ['no policy', [], [], ALLOWED_BY_DEFAULT],
    ['a policy without allowed_models', ['p'], [{ applyMode: 'global', maxTokensPerRun: 10 }], ALLOWED_BY_DEFAULT],
    ['listed', ['p'], [{ applyMode: 'global', allowedModels: ['gpt-4o', 'mock-1'] }], allowed('AgentPolicy default/p', 'allowed_models')],
    ['listed in another case', ['p'], [{ applyMode: 'global', allowedModels: ['MOCK-1'] }], allowed('AgentPolicy default/p', 'allowed_models')],
    ['not listed', ['p'], [{ applyMode: 'global', allowedModels: ['gpt-4o'] }], denied('AgentPolicy default/p', 'allowed_models')],
    ['the endpoint name is not the model', ['p'], [{ applyMode: 'global', allowedModels: ['mock', 'default/mock'] }], denied('AgentPolicy default/p', 'allowed_models')],
    ['not listed, but the policy targets another agent', ['p'], [{ targetAgents: ['writer'], allowedModels: ['gpt-4o'] }], ALLOWED_BY_DEFAULT],
    ['not listed, policy scoped to the task', ['p'], [{ targetTasks: ['test-task'], allowedModels: ['gpt-4o'] }], denied('AgentPolicy default/p', 'allowed_models')],
    [
      'every applicable policy must allow it',
      ['ok', 'strict'],
      [{ applyMode: 'global', allowedModels: ['mock-1'] }, { targetSystems: ['test-system'], allowedModels: ['gpt-4o'] }],
      denied('AgentPolicy default/strict', 'allowed_models'),
    ],
  ];
  it.each(cases)('%s', (_name, names, overrides, expected) => {
    const plan = world({ policies: names.map((name, i) => policy(name, overrides[i])) });
    expect(outcome(evaluateModelCall(plan, { agent: 'worker', modelKey: 'default/mock' }), expected)).toEqual(expected);
  });

  it('denies an endpoint the plan does not have, and an agent it does not have', () => {
    const plan = world();
    expect(outcome(evaluateModelCall(plan, { agent: 'worker', modelKey: 'default/nope' }), denied(null, null))).toEqual(denied(null, null));
    expect(outcome(evaluateModelCall(plan, { agent: 'ghost', modelKey: 'default/mock' }), denied(null, null))).toEqual(denied(null, null));
  });
});

describe('the tool must be offered to the agent', () => {
  it.each([
    ['a tool not in the plan', 'default/nope', 'worker'],
    ['an agent not in the plan', 'default/search', 'ghost'],
    ['a tool in the plan but not among the agent’s tools', 'default/other', 'worker'],
  ])('%s is denied', (_name, toolKey, agentName) => {
    const plan = world({ tools: [tool('search'), tool('other')], agents: [agent('worker', { tools: ['default/search'] })] });
    toolCase(plan, denied(null, null), toolKey, agentName);
  });
});

describe('allowed_tools', () => {
  const A = 'Agent default/worker';
  const cases: [string, string[], Expected][] = [
    ['by key: bypasses an unknown role', ['default/search'], allowed(A, 'allowed_tools')],
    ['by bare name, other case', ['SEARCH'], allowed(A, 'allowed_tools')],
    ['another tool does not help', ['default/other'], denied(A, 'roles', { missingRoles: ['default/ghost-role'] })],
  ];
  it.each(cases)('%s', (_name, allowedTools, expected) => {
    const plan = world({ agents: [agent('worker', { tools: ['default/search'], allowedTools, roles: ['default/ghost-role'] })] });
    toolCase(plan, expected);
  });

  it('bypasses ToolPermissions: required permissions and a deny operation rule', () => {
    const plan = world({
      agents: [agent('worker', { tools: ['default/search'], allowedTools: ['default/search'], roles: ['default/reader'] })],
      roles: { 'default/reader': [] },
      toolPermissions: [
        toolPermission('needs', 'default/search', { requiredPermissions: ['tool:search:invoke'] }),
        toolPermission('never', 'default/search', { operationRules: [{ operationClass: '*', verdict: 'deny' }] }),
      ],
    });
    toolCase(plan, allowed(A, 'allowed_tools'));
  });
});

describe('roles and default permissions (no ToolPermission for the tool)', () => {
  const A = 'Agent default/worker';
  const cases: [string, ReturnType<typeof tool>, string[], Record<string, string[]>, Expected][] = [
    ['no roles: RBAC is off', tool('search', { capabilities: ['web.read'] }), [], {}, ALLOWED_BY_DEFAULT],
    ['unknown role', tool('search'), ['default/ghost'], {}, denied(A, 'roles', { missingRoles: ['default/ghost'] })],
    [
      'one role known, one not',
      tool('search'),
      ['default/reader', 'default/ghost'],
      { 'default/reader': ['tool:search:invoke'] },
      denied(A, 'roles', { missingRoles: ['default/ghost'] }),
    ],
    ['role grants tool:<tool>:invoke', tool('search'), ['default/reader'], { 'default/reader': ['tool:search:invoke'] }, allowed(A, 'default_permissions')],
    [
      'role lacks tool:<tool>:invoke',
      tool('search'),
      ['default/reader'],
      { 'default/reader': ['capability:docs.write'] },
      denied(A, 'default_permissions', { missingPermissions: ['tool:search:invoke'] }),
    ],
    [
      'every capability is required too',
      tool('search', { capabilities: ['web.read', 'Net Access'] }),
      ['default/reader'],
      { 'default/reader': ['tool:search:invoke', 'capability:web.read'] },
      denied(A, 'default_permissions', { missingPermissions: ['capability:net_access'] }),
    ],
    [
      'the union of the roles counts',
      tool('search', { capabilities: ['web.read'] }),
      ['default/invoker', 'default/web'],
      { 'default/invoker': ['tool:search:invoke'], 'default/web': ['capability:web.read'] },
      allowed(A, 'default_permissions'),
    ],
    [
      'permission strings normalize: case, -, spaces',
      tool('web-search'),
      ['default/reader'],
      { 'default/reader': ['Tool: Web-Search :INVOKE'] },
      allowed(A, 'default_permissions'),
    ],
    [
      'permission strings normalize: / and \\ as _',
      tool('web_search', { capabilities: ['fs/read'] }),
      ['default/reader'],
      { 'default/reader': ['tool:web-search:invoke', 'capability:fs\\read'] },
      allowed(A, 'default_permissions'),
    ],
    [
      'MCP-generated tool: tool:<server>__<tool>:invoke',
      mcpTool('fs', 'write_file'),
      ['default/reader'],
      { 'default/reader': ['tool:fs--write-file:invoke'] },
      allowed(A, 'default_permissions'),
    ],
    [
      'MCP-generated tool, missing',
      mcpTool('fs', 'write_file'),
      ['default/reader'],
      { 'default/reader': ['tool:fs--read-file:invoke'] },
      denied(A, 'default_permissions', { missingPermissions: ['tool:fs__write_file:invoke'] }),
    ],
  ];
  it.each(cases)('%s', (_name, planTool, roles, definedRoles, expected) => {
    const key = `default/${planTool.id.name}`;
    const plan = world({ tools: [planTool], agents: [agent('worker', { tools: [key], roles })], roles: definedRoles });
    toolCase(plan, expected, key);
  });
});

describe('ToolPermission required_permissions and match_mode', () => {
  const TP = 'ToolPermission default/tp';
  const ROLE = { 'default/r': ['tool:search:invoke', 'capability:web.read'] };
  const cases: [string, Partial<PlanToolPermission>, string[], Expected][] = [
    ['all, every one held', { requiredPermissions: ['tool:search:invoke', 'capability:web.read'] }, ['default/r'], allowed(TP, null)],
    [
      'all, one missing',
      { requiredPermissions: ['tool:search:invoke', 'capability:web.write', 'capability:web.read'] },
      ['default/r'],
      denied(TP, 'required_permissions', { missingPermissions: ['capability:web.write'] }),
    ],
    [
      'all, normalized before matching',
      { requiredPermissions: ['TOOL:Search:Invoke', 'Capability:Web-Admin'] },
      ['default/r'],
      denied(TP, 'required_permissions', { missingPermissions: ['capability:web_admin'] }),
    ],
    ['any, one held', { matchMode: 'any', requiredPermissions: ['capability:admin', 'capability:web.read'] }, ['default/r'], allowed(TP, null)],
    [
      'any, none held: all listed as missing',
      { matchMode: 'any', requiredPermissions: ['capability:admin', 'capability:root'] },
      ['default/r'],
      denied(TP, 'required_permissions', { missingPermissions: ['capability:admin', 'capability:root'] }),
    ],
    [
      'applies to an agent with no roles (RBAC opt-in covers only tools without ToolPermission)',
      { requiredPermissions: ['tool:search:invoke'] },
      [],
      denied(TP, 'required_permissions', { missingPermissions: ['tool:search:invoke'] }),
    ],
    [
      'neither permissions nor rules: the defaults, with the action',
      { action: 'execute' },
      ['default/r'],
      denied(TP, 'required_permissions', { missingPermissions: ['tool:search:execute'] }),
    ],
    ['neither permissions nor rules: defaults held', {}, ['default/r'], allowed(TP, null)],
    [
      'scoped to this agent',
      { applyMode: 'scoped', targetAgents: ['Worker'], requiredPermissions: ['capability:admin'] },
      ['default/r'],
      denied(TP, 'required_permissions', { missingPermissions: ['capability:admin'] }),
    ],
    [
      'scoped to another agent: no ToolPermission applies, so no roles means allow',
      { applyMode: 'scoped', targetAgents: ['writer'], requiredPermissions: ['capability:admin'] },
      [],
      ALLOWED_BY_DEFAULT,
    ],
    [
      'scoped to another agent: with roles the defaults apply',
      { applyMode: 'scoped', targetAgents: ['writer'], requiredPermissions: ['capability:admin'] },
      ['default/r'],
      allowed('Agent default/worker', 'default_permissions'),
    ],
    ['tool_ref by bare name, other case', { toolRef: 'SEARCH', requiredPermissions: ['capability:admin'] }, ['default/r'], denied(TP, 'required_permissions', { missingPermissions: ['capability:admin'] })],
    ['tool_ref naming another tool does not apply', { toolRef: 'default/other', requiredPermissions: ['capability:admin'] }, [], ALLOWED_BY_DEFAULT],
  ];
  it.each(cases)('%s', (_name, overrides, roles, expected) => {
    const plan = world({
      tools: [tool('search', { capabilities: ['web.read'] }), tool('other')],
      agents: [agent('worker', { tools: ['default/search', 'default/other'], roles })],
      roles: ROLE,
      toolPermissions: [toolPermission('tp', 'default/search', overrides)],
    });
    toolCase(plan, expected);
  });
});

describe('ToolPermission operation_rules', () => {
  const TP = 'ToolPermission default/tp';
  type Rules = PlanToolPermission['operationRules'];
  const cases: [string, string[], Rules, Expected][] = [
    ['write tool, write → approval_required', ['write'], [{ operationClass: 'write', verdict: 'approval_required' }], approval(TP, 'operation_rules[0]', { operationClass: 'write' })],
    ['read tool, write → approval_required: no rule matches, allow', ['read'], [{ operationClass: 'write', verdict: 'approval_required' }], allowed(TP, null)],
    ['* → deny', ['read'], [{ operationClass: '*', verdict: 'deny' }], denied(TP, 'operation_rules[0]', { operationClass: 'read' })],
    [
      'an exact class beats *, wherever it is listed',
      ['read'],
      [
        { operationClass: '*', verdict: 'deny' },
        { operationClass: 'read', verdict: 'allow' },
      ],
      allowed(TP, 'operation_rules[1]', { operationClass: 'read' }),
    ],
    [
      '* covers the classes without their own rule',
      ['read', 'delete'],
      [
        { operationClass: 'read', verdict: 'allow' },
        { operationClass: '*', verdict: 'approval_required' },
      ],
      approval(TP, 'operation_rules[1]', { operationClass: 'delete' }),
    ],
    [
      'several classes: the most restrictive wins',
      ['read', 'delete', 'write'],
      [
        { operationClass: 'write', verdict: 'approval_required' },
        { operationClass: 'delete', verdict: 'deny' },
        { operationClass: 'read', verdict: 'allow' },
      ],
      denied(TP, 'operation_rules[1]', { operationClass: 'delete' }),
    ],
    ['classes compare case-insensitively', ['Write'], [{ operationClass: 'write', verdict: 'deny' }], denied(TP, 'operation_rules[0]', { operationClass: 'write' })],
  ];
  it.each(cases)('%s', (_name, operationClasses, operationRules, expected) => {
    const plan = world({
      tools: [tool('search', { operationClasses })],
      agents: [agent('worker', { tools: ['default/search'], roles: ['default/r'] })],
      roles: { 'default/r': ['tool:search:invoke'] },
      toolPermissions: [toolPermission('tp', 'default/search', { requiredPermissions: ['tool:search:invoke'], operationRules })],
    });
    toolCase(plan, expected);
  });

  it('rules alone (no required permissions) skip the permission check, even for an agent without roles', () => {
    const plan = world({
      tools: [tool('search', { operationClasses: ['write'] })],
      toolPermissions: [toolPermission('tp', 'default/search', { operationRules: [{ operationClass: 'write', verdict: 'approval_required' }] })],
    });
    toolCase(plan, approval(TP, 'operation_rules[0]', { operationClass: 'write' }));
  });
});

describe('most restrictive verdict across ToolPermissions', () => {
  const rule = (verdict: 'allow' | 'deny' | 'approval_required'): PlanToolPermission['operationRules'] => [{ operationClass: '*', verdict }];
  const cases: [string, [string, Partial<PlanToolPermission>][], Expected][] = [
    ['allow + approval_required → approval_required', [['a', { operationRules: rule('allow') }], ['b', { operationRules: rule('approval_required') }]], approval('ToolPermission default/b', 'operation_rules[0]', { operationClass: 'write' })],
    ['approval_required + allow → approval_required', [['a', { operationRules: rule('approval_required') }], ['b', { operationRules: rule('allow') }]], approval('ToolPermission default/a', 'operation_rules[0]', { operationClass: 'write' })],
    ['approval_required + deny → deny', [['a', { operationRules: rule('approval_required') }], ['b', { operationRules: rule('deny') }]], denied('ToolPermission default/b', 'operation_rules[0]', { operationClass: 'write' })],
    ['deny + approval_required → deny', [['a', { operationRules: rule('deny') }], ['b', { operationRules: rule('approval_required') }]], denied('ToolPermission default/a', 'operation_rules[0]', { operationClass: 'write' })],
    ['allow + allow → allow', [['a', { operationRules: rule('allow') }], ['b', { operationRules: rule('allow') }]], allowed('ToolPermission default/a', 'operation_rules[0]', { operationClass: 'write' })],
    [
      'approval_required + missing permissions → deny',
      [['a', { operationRules: rule('approval_required') }], ['b', { requiredPermissions: ['capability:admin'] }]],
      denied('ToolPermission default/b', 'required_permissions', { missingPermissions: ['capability:admin'] }),
    ],
    [
      'a scoped ToolPermission for another agent does not count',
      [['a', { operationRules: rule('approval_required') }], ['b', { applyMode: 'scoped', targetAgents: ['writer'], operationRules: rule('deny') }]],
      approval('ToolPermission default/a', 'operation_rules[0]', { operationClass: 'write' }),
    ],
  ];
  it.each(cases)('%s', (_name, permissions, expected) => {
    const plan = world({
      tools: [tool('search', { operationClasses: ['write'] })],
      agents: [agent('worker', { tools: ['default/search'], roles: ['default/r'] })],
      roles: { 'default/r': ['tool:search:invoke'] },
      toolPermissions: permissions.map(([name, overrides]) => toolPermission(name, 'default/search', overrides)),
    });
    toolCase(plan, expected);
  });
});

describe('decisions are pure', () => {
  it('the same plan and request give the same decision, and the plan is not modified', () => {
    const plan = world({
      tools: [tool('search', { operationClasses: ['write'] })],
      policies: [policy('p', { applyMode: 'global', allowedModels: ['mock-1'] })],
      toolPermissions: [toolPermission('tp', 'default/search', { operationRules: [{ operationClass: 'write', verdict: 'approval_required' }] })],
    });
    const before = JSON.stringify(plan);
    const first = evaluateToolCall(plan, { agent: 'worker', toolKey: 'default/search' });
    expect(evaluateToolCall(plan, { agent: 'worker', toolKey: 'default/search' })).toEqual(first);
    expect(evaluateModelCall(plan, { agent: 'worker', modelKey: 'default/mock' })).toEqual(evaluateModelCall(plan, { agent: 'worker', modelKey: 'default/mock' }));
    expect(JSON.stringify(plan)).toBe(before);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  });
});
