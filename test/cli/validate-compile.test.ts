/**
 * `orch validate` and `orch compile`: exit codes, JSON, and located diagnostics
 * (`file:line:col: severity CODE`), never stack traces. No Temporal needed.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diagnosticHeads, orch, STACK_FRAME, writeFixtures } from './cli-harness.ts';

const EXAMPLE = 'examples/research-pipeline';

const MODEL = `apiVersion: orch/v1
kind: ModelEndpoint
metadata:
  name: m
spec:
  provider: mock
  default_model: mock-1
`;

// Line numbers matter: UNKNOWN_FIELD is reported at the key (line 8, col 3), UNKNOWN_REFERENCE at the value (line 15, col 14).
const BAD_AGENTS = `apiVersion: orch/v1
kind: Agent
metadata:
  name: typo
spec:
  model_ref: m
  prompt: hi
  max_stepz: 3
---
apiVersion: orch/v1
kind: Agent
metadata:
  name: dangling
spec:
  model_ref: no-such-model
  prompt: hi
`;

let badDir: string;
let badFile: string;

beforeAll(() => {
  badDir = writeFixtures({ 'a-model.yaml': MODEL, 'b-agents.yaml': BAD_AGENTS });
  badFile = join(badDir, 'b-agents.yaml');
});

describe('orch validate', () => {
  it('exits 0 on the example, with nothing on stderr', async () => {
    const { code, stdout, stderr } = await orch(['validate', EXAMPLE], { temporal: false });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^valid: /);
  });

  it('--json prints {valid: true} with no diagnostics and the resource counts', async () => {
    const { code, stdout, stderr } = await orch(['validate', '--json', EXAMPLE], { temporal: false });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout);
    expect(report).toEqual({
      valid: true,
      diagnostics: [],
      resources: expect.objectContaining({ Agent: 3, ModelEndpoint: 1, AgentSystem: 1, Task: 1 }),
    });
  });

  it('exits 1 with an UNKNOWN_FIELD and an UNKNOWN_REFERENCE, each at file:line:col', async () => {
    const { code, stdout, stderr } = await orch(['validate', badDir], { temporal: false });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(diagnosticHeads(stderr)).toEqual([`${badFile}:8:3: error UNKNOWN_FIELD`, `${badFile}:15:14: error UNKNOWN_REFERENCE`]);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('--json reports the same diagnostics with structured locations, and exits 1', async () => {
    const { code, stdout } = await orch(['validate', '--json', badDir], { temporal: false });
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.valid).toBe(false);
    expect(report.diagnostics.map((d: any) => [d.code, d.severity, d.location, d.path])).toEqual([
      ['UNKNOWN_FIELD', 'error', { file: badFile, line: 8, column: 3 }, ['spec', 'max_stepz']],
      ['UNKNOWN_REFERENCE', 'error', { file: badFile, line: 15, column: 14 }, ['spec', 'model_ref']],
    ]);
  });

  it('a nonexistent path exits 1 with FILE_NOT_FOUND at the path, and no stack trace', async () => {
    const missing = join(badDir, 'no-such-dir');
    const { code, stdout, stderr } = await orch(['validate', missing], { temporal: false });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(diagnosticHeads(stderr)).toEqual([`${missing}:1:1: error FILE_NOT_FOUND`]);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('a nonexistent path next to a valid one still fails', async () => {
    const { code, stderr } = await orch(['validate', EXAMPLE, 'nope.yaml'], { temporal: false });
    expect(code).toBe(1);
    expect(diagnosticHeads(stderr)).toEqual(['nope.yaml:1:1: error FILE_NOT_FOUND']);
  });

  it('--override replaces a resource so that the manifests validate', async () => {
    const dangling = BAD_AGENTS.slice(BAD_AGENTS.indexOf('---\n') + 4);
    const base = writeFixtures({ 'model.yaml': MODEL, 'agent.yaml': dangling });
    const fix = writeFixtures({ 'fix.yaml': dangling.replace('no-such-model', 'm') });
    expect((await orch(['validate', base], { temporal: false })).code).toBe(1);
    const { code, stderr } = await orch(['validate', base, '--override', join(fix, 'fix.yaml')], { temporal: false });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('orch compile', () => {
  it('with limits: says the worst case on stderr before the plan (the example\'s endpoint is priced, so its token limit bounds the cost)', async () => {
    const dir = writeFixtures({
      'limits.yaml': `apiVersion: orch/v1
kind: AgentPolicy
metadata: {name: cap}
spec: {apply_mode: global, max_tokens_per_run: 20000, max_tool_calls_per_run: 5}
`,
    });
    const { code, stdout, stderr } = await orch(['compile', EXAMPLE, join(dir, 'limits.yaml')], { temporal: false });
    expect(code).toBe(0);
    expect(stderr).toBe(
      'bounds: tokens ≤ 20000 (AgentPolicy default/cap) · cost ≤ $0.012 (AgentPolicy default/cap tokens at the highest price) · model calls unbounded: no limit applies to planner, researcher, writer · tool calls ≤ 5 (AgentPolicy default/cap)\n'
    );
    expect(JSON.parse(stdout).schemaVersion).toBe(1);
    // orch run says it too, before the run starts; stdout stays the outcome's JSON.
    const run = await orch(['run', EXAMPLE, join(dir, 'limits.yaml'), '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')[0]).toBe(stderr.trimEnd());
    expect(JSON.parse(run.stdout).status).toBe('succeeded');
  });

  it('prints the Plan of the example as JSON', async () => {
    const { code, stdout, stderr } = await orch(['compile', EXAMPLE], { temporal: false });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const plan = JSON.parse(stdout);
    expect(plan.schemaVersion).toBe(1);
    expect(plan.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.system.name).toBe('research-pipeline');
    expect(plan.task.name).toBe('research-brief');
    expect(Object.keys(plan.agents)).toEqual(['planner', 'researcher', 'writer']);
    expect(plan.input).toEqual({ topic: 'durable execution for AI agents' });
  });

  it('is deterministic: the same manifests print the same Plan', async () => {
    const first = await orch(['compile', EXAMPLE], { temporal: false });
    const second = await orch(['compile', EXAMPLE], { temporal: false });
    expect(second.stdout).toBe(first.stdout);
  });

  it('--input replaces input fields and changes the hash; values that parse as JSON are JSON', async () => {
    const base = JSON.parse((await orch(['compile', EXAMPLE], { temporal: false })).stdout);
    const { code, stdout } = await orch(
      ['compile', EXAMPLE, '--input', 'topic=x', '--input', 'n=3', '--input', 'tags=["a","b"]', '--input', 'flag=true', '--input', 'eq=a=b'],
      { temporal: false },
    );
    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.input).toEqual({ topic: 'x', n: 3, tags: ['a', 'b'], flag: true, eq: 'a=b' });
    expect(plan.hash).toMatch(/^sha256:/);
    expect(plan.hash).not.toBe(base.hash);
  });

  it('--input topic="durable agents" keeps the space (one argv element)', async () => {
    const { stdout } = await orch(['compile', EXAMPLE, '--input', 'topic=durable agents'], { temporal: false });
    expect(JSON.parse(stdout).input).toEqual({ topic: 'durable agents' });
  });

  it('--system and --task select what compiles', async () => {
    const bySystem = JSON.parse((await orch(['compile', EXAMPLE, '--system', 'research-pipeline'], { temporal: false })).stdout);
    expect(bySystem.system.name).toBe('research-pipeline');
    const byTask = JSON.parse((await orch(['compile', EXAMPLE, '--task', 'research-brief'], { temporal: false })).stdout);
    expect(byTask.task.name).toBe('research-brief');
    expect(byTask.input).toEqual({ topic: 'durable execution for AI agents' });
  });

  it('--system with an unknown name exits 1 with NO_SYSTEM and prints no Plan', async () => {
    const { code, stdout, stderr } = await orch(['compile', EXAMPLE, '--system', 'nope'], { temporal: false });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(diagnosticHeads(stderr)).toEqual([`${EXAMPLE}:1:1: error NO_SYSTEM`]);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('--task with an unknown name exits 1 with NO_SYSTEM', async () => {
    const { code, stderr } = await orch(['compile', EXAMPLE, '--task', 'nope'], { temporal: false });
    expect(code).toBe(1);
    expect(diagnosticHeads(stderr).map((head) => head.split(' ').pop())).toEqual(['NO_SYSTEM']);
  });

  it('manifests with errors exit 1 with their located diagnostics and no Plan', async () => {
    const { code, stdout, stderr } = await orch(['compile', badDir], { temporal: false });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(diagnosticHeads(stderr)).toEqual(
      expect.arrayContaining([`${badFile}:8:3: error UNKNOWN_FIELD`, `${badFile}:15:14: error UNKNOWN_REFERENCE`]),
    );
  });

  it('a nonexistent path exits 1 with FILE_NOT_FOUND, no stack trace', async () => {
    const { code, stdout, stderr } = await orch(['compile', 'does/not/exist'], { temporal: false });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(diagnosticHeads(stderr)).toEqual(['does/not/exist:1:1: error FILE_NOT_FOUND']);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});
