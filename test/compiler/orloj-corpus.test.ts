/**
 * The Orloj corpus (unmodified manifests from OrlojHQ/orloj) is the compatibility bar:
 * everything loads with located diagnostics, and the complete bundles validate clean.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, validate } from '../../compiler/index.ts';
import type { Diagnostic } from '../../compiler/diagnostics.ts';
import { errorsOf, fixture, ORLOJ_CORPUS } from './helpers.ts';

function subdirectories(relative: string): string[] {
  return readdirSync(`${ORLOJ_CORPUS}/${relative}`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${relative}/${entry.name}`)
    .sort();
}

const blueprints = subdirectories('examples/blueprints');
const resourceKinds = subdirectories('examples/resources');
const useCases = subdirectories('examples/use-cases');
const scenarios = subdirectories('testing/scenarios');
const realScenarios = subdirectories('testing/scenarios-real');
const corpus = (relative: string) => `${ORLOJ_CORPUS}/${relative}`;
/**
 * Without the warnings for `message_retry.jitter` (orch backs off exactly: a deterministic
 * workflow draws no random numbers), which nearly every corpus Task writes; each is a warning
 * at that field.
 */
function apartFromJitter(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const jitter = (d: Diagnostic) => d.code === 'ACCEPTED_NOT_ENFORCED' && d.path?.join('.') === 'spec.message_retry.jitter';
  for (const d of diagnostics.filter(jitter)) expect(d.severity).toBe('warning');
  return diagnostics.filter((d) => !jitter(d));
}

/** Use cases whose only Task is a template (`mode: template`). */
const TEMPLATE_ONLY = ['examples/use-cases/event-driven-webhook'];
/** Orloj's harness provides this endpoint for its mock-model scenarios; see the fixture's comment. */
const mockOpenAiDefault = fixture('mock-openai-default');

describe('every corpus directory loads, with a location on every error', () => {
  it.each([...blueprints, ...resourceKinds, ...useCases, ...scenarios, ...realScenarios, '.'])('%s', async (relative) => {
    const validated = await validate([corpus(relative)]);
    const compiled = await compile([corpus(relative)]);
    for (const d of [...validated.diagnostics, ...compiled.diagnostics]) {
      expect(d.location?.line, `${d.code}: ${d.message}`).toBeGreaterThanOrEqual(1);
      expect(d.location?.column).toBeGreaterThanOrEqual(1);
      expect(d.location?.file.length).toBeGreaterThan(0);
    }
  });
});

describe('complete bundles validate clean', () => {
  it.each(useCases)('%s', async (relative) => {
    const { diagnostics } = await validate([corpus(relative)]);
    expect(errorsOf(diagnostics)).toEqual([]);
    for (const warning of diagnostics) expect(warning.code).toBe('ACCEPTED_NOT_ENFORCED');
    const { plan, diagnostics: compiled } = await compile([corpus(relative)]);
    if (!TEMPLATE_ONLY.includes(relative)) {
      expect(plan).not.toBeNull();
      return;
    }
    // Its only Task is a template its TaskWebhook instantiates: nothing to run as it stands, and it says so.
    expect(plan).toBeNull();
    expect(errorsOf(compiled).map((d) => [d.code, d.path, d.location?.file.endsWith('task-template.yaml'), d.location?.line])).toEqual([
      ['TASK_IS_TEMPLATE', ['spec', 'mode'], true, 10],
    ]);
    const bare = await compile([corpus(relative)], { system: 'uc-webhook-pipeline-system' });
    expect(bare.plan?.task).toBeNull();
  });

  it('the blueprints together with examples/resources/model-endpoints', async () => {
    const { diagnostics } = await validate([...blueprints.map(corpus), corpus('examples/resources/model-endpoints')]);
    expect(apartFromJitter(diagnostics)).toEqual([]);
  });

  it.each(blueprints)('%s with the model endpoints compiles its Task', async (relative) => {
    const { plan, diagnostics } = await compile([corpus(relative), corpus('examples/resources/model-endpoints')]);
    expect(apartFromJitter(diagnostics)).toEqual([]);
    expect(plan?.task?.name).toMatch(/^bp-.*-task$/);
    expect(plan?.models['default/openai-default']?.secretRef).toEqual({ namespace: 'default', name: 'openai-api-key', key: 'value' });
  });

  it.each(realScenarios)('%s', async (relative) => {
    const { diagnostics } = await validate([corpus(relative)]);
    expect(errorsOf(diagnostics)).toEqual([]);
  });
});

describe('testing/scenarios (mock-model bundles)', () => {
  it.each(scenarios)('%s needs only the openai-default endpoint Orloj\'s harness provides', async (relative) => {
    const alone = await validate([corpus(relative)]);
    // Without it, the only errors are the agents' model_ref, each located at the reference.
    expect(errorsOf(alone.diagnostics).length).toBeGreaterThan(0);
    for (const d of errorsOf(alone.diagnostics)) {
      expect(d.code).toBe('UNKNOWN_REFERENCE');
      expect(d.path).toEqual(['spec', 'model_ref']);
    }
    const withModel = await validate([corpus(relative), mockOpenAiDefault]);
    expect(apartFromJitter(withModel.diagnostics)).toEqual([]);
  });

  it.each(scenarios)('%s compiles its Task', async (relative) => {
    const { plan, diagnostics, resources } = await compile([corpus(relative), mockOpenAiDefault]);
    // The governance-deny scenario lists a tool its agent may never call, on purpose: the compiler says so.
    const expected = relative.endsWith('04-governance-deny') ? [{ code: 'TOOL_ALWAYS_DENIED', severity: 'warning', path: ['spec', 'tools', 0] }] : [];
    expect(apartFromJitter(diagnostics)).toMatchObject(expected);
    expect(apartFromJitter(diagnostics)).toHaveLength(expected.length);
    expect(resources.tasks).toHaveLength(1);
    expect(plan?.task).toEqual({ namespace: resources.tasks[0]!.namespace, name: resources.tasks[0]!.name, labels: {} });
    expect(plan?.models['default/openai-default']?.provider).toBe('mock');
  });

  it('02-hierarchical: manager is the entry, the editor joins both branches', async () => {
    const { plan } = await compile([corpus('testing/scenarios/02-hierarchical'), mockOpenAiDefault]);
    expect(plan?.entryAgents).toEqual(['rt-hier-manager-agent']);
    expect(plan?.graph['rt-hier-editor-agent']?.join).toEqual({ mode: 'wait_for_all', quorumCount: 0, quorumPercent: 0, onFailure: 'deadletter' });
    expect(plan?.graph['rt-hier-manager-agent']?.edges.map((e) => e.to)).toEqual(['rt-hier-research-lead-agent', 'rt-hier-social-lead-agent']);
  });

  it('03-loop-max-turns: the cycle is bounded by max_turns and starts at the first agent', async () => {
    const { plan } = await compile([corpus('testing/scenarios/03-loop-max-turns'), mockOpenAiDefault]);
    expect(plan?.maxTurns).toBe(6);
    expect(plan?.entryAgents).toEqual(['rt-loop-manager-agent']);
  });

  it('04-governance-deny: the role and the ToolPermission reach the plan', async () => {
    const { plan } = await compile([corpus('testing/scenarios/04-governance-deny'), mockOpenAiDefault]);
    expect(plan?.agents['rt-gov-analyst-agent']).toMatchObject({ roles: ['rt-gov/rt-gov-limited-role'], tools: ['rt-gov/rt-gov-search-tool'] });
    expect(plan?.governance.roles).toEqual({ 'rt-gov/rt-gov-limited-role': { permissions: ['capability:docs.write'] } });
    expect(plan?.governance.toolPermissions).toEqual([
      {
        id: { namespace: 'rt-gov', name: 'rt-gov-search-permission' },
        toolRef: 'rt-gov/rt-gov-search-tool',
        action: 'invoke',
        requiredPermissions: ['tool:search:invoke'],
        matchMode: 'all',
        applyMode: 'global',
        targetAgents: [],
        operationRules: [],
      },
    ]);
  });

  it('05-retry-deadletter: a 1ms timeout and 50 steps survive normalization', async () => {
    const { plan } = await compile([corpus('testing/scenarios/05-retry-deadletter'), mockOpenAiDefault]);
    expect(plan?.agents['rt-retry-timeout-agent']).toMatchObject({ maxSteps: 50, timeoutMs: 1 });
  });
});

describe('corpus details that shaped the compiler', () => {
  it('reads "- AUTH_PATH:" in required_output_markers as the text Orloj reads', async () => {
    const { resources } = await validate([corpus('testing/scenarios-real/08-tool-auth-and-contract')]);
    expect(resources.agents[0]?.spec.execution).toMatchObject({
      profile: 'contract',
      toolSequence: ['rr-real-http-auth-tool'],
      requiredOutputMarkers: ['AUTH_PATH:', 'CONTRACT_PATH:', 'EVIDENCE:'],
      onContractViolation: 'observe',
    });
  });

  it('message_retry.jitter other than none is one warning per Task, at the field', async () => {
    const full = await validate([corpus('testing/scenarios/01-pipeline'), mockOpenAiDefault]);
    expect(full.diagnostics.map((d) => [d.code, d.path, d.location?.file.endsWith('task.yaml'), d.location?.line])).toEqual([
      ['ACCEPTED_NOT_ENFORCED', ['spec', 'message_retry', 'jitter'], true, 18],
    ]);
    const none = await validate([corpus('testing/scenarios/04-governance-deny'), mockOpenAiDefault]);
    expect(none.diagnostics).toEqual([]);
  });

  it('08-tool-auth-and-contract and 16-kitchen-sink: the execution contract compiles without a warning, into the plan', async () => {
    const { diagnostics, plan } = await compile([corpus('testing/scenarios-real/08-tool-auth-and-contract')]);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(diagnostics.filter((d) => d.path?.[1] === 'execution')).toEqual([]);
    expect(plan?.agents['rr-real-tool-auth-agent']?.contract).toEqual({
      toolSequence: ['rr-real-http-auth-tool'],
      requiredOutputMarkers: ['AUTH_PATH:', 'CONTRACT_PATH:', 'EVIDENCE:'],
      duplicateToolCallPolicy: 'short_circuit',
      onContractViolation: 'observe',
    });
    const kitchen = await compile([corpus('testing/scenarios-real/16-kitchen-sink')], { task: 'rr-real-kitchen-primary-task' });
    expect(kitchen.diagnostics.filter((d) => d.path?.[1] === 'execution')).toEqual([]);
    expect(kitchen.plan?.agents['rr-real-kitchen-auth-worker-agent']?.contract).toMatchObject({ toolSequence: ['rr-real-kitchen-auth-tool'], onContractViolation: 'observe' });
  });

  it('turns McpServer tools into plan tools named <server>--<tool>', async () => {
    const { plan } = await compile([corpus('testing/scenarios-real/14-mcp-tool-smoke')]);
    expect(plan?.agents['rr-real-mcp-tool-agent']?.tools).toEqual(['rr-real-mcp/rr-real-mcp-everything--echo', 'rr-real-mcp/rr-real-mcp-everything--get-sum']);
    expect(plan?.tools['rr-real-mcp/rr-real-mcp-everything--get-sum']).toMatchObject({
      type: 'mcp',
      description: '',
      inputSchema: null,
      mcp: { server: 'rr-real-mcp/rr-real-mcp-everything', tool: 'get-sum' },
    });
  });

  it('compiles each of several Tasks by name, and the lone system when none is named', async () => {
    const dir = corpus('testing/scenarios-real/13-multi-tool-select');
    for (const task of ['rr-multi-tool-calculate-task', 'rr-multi-tool-both-task', 'rr-multi-tool-lookup-task']) {
      const { plan, diagnostics } = await compile([dir], { task });
      // Its tools ask for container isolation, which orch does not provide: warned, at the field.
      expect(apartFromJitter(diagnostics).map((d) => [d.code, d.path])).toEqual(Array(3).fill(['ACCEPTED_NOT_ENFORCED', ['spec', 'runtime', 'isolation_mode']]));
      expect(plan?.task?.name).toBe(task);
    }
    const { plan } = await compile([dir]);
    expect(plan?.system.name).toBe('rr-real-multi-tool-system');
    expect(plan?.task).toBeNull();
  });

  it('16-kitchen-sink: picks the primary Task, its scoped policy and all six tool permissions', async () => {
    const dir = corpus('testing/scenarios-real/16-kitchen-sink');
    const ambiguous = await compile([dir]);
    expect(errorsOf(ambiguous.diagnostics).map((d) => d.code)).toEqual(['AMBIGUOUS_SYSTEM']);
    const { plan, diagnostics } = await compile([dir], { task: 'rr-real-kitchen-primary-task' });
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(plan?.governance.policies.map((p) => p.id.name)).toEqual(['rr-real-kitchen-policy']);
    expect(plan?.governance.toolPermissions).toHaveLength(6);
    expect(Object.keys(plan?.agents ?? {})).toHaveLength(12);
  });

  it('reads the legacy `next` as a route', async () => {
    const { resources } = await validate([corpus('examples/resources/agent-systems')]);
    const report = resources.agentSystems.find((s) => s.name === 'report-system');
    expect(report?.spec.graph['planner-agent']?.routes.map((r) => r.to)).toEqual(['research-agent']);
    expect(report?.spec.graph['research-agent']?.routes.map((r) => r.to)).toEqual(['writer-agent']);
  });

  it('the swarm loop starts at its coordinator (no agent without an incoming edge)', async () => {
    const { plan } = await compile([corpus('examples/use-cases/roadmap-synthesis-swarm')]);
    expect(plan?.entryAgents).toEqual(['uc-roadmap-coordinator-agent']);
    expect(plan?.maxTurns).toBe(4);
  });
});
