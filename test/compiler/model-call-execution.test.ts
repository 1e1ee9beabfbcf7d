import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { errorsOf, expectDiagnostic, writeManifests } from './helpers.ts';

const system = (endpointSpec: string) => `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: main}
spec:
  provider: openai-compatible
  base_url: "http://127.0.0.1:9/v1"
  default_model: m1
${endpointSpec}---
apiVersion: orch/v1
kind: Agent
metadata: {name: a}
spec: {model_ref: main}
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: s}
spec: {agents: [a]}
`;

describe('ModelEndpoint execution', () => {
  it('local reaches the plan; the default (and activity) leaves the plan as it was', async () => {
    const plans = [];
    for (const spec of ['  execution: local\n', '  execution: activity\n', '']) {
      const { file } = writeManifests({ file: system(spec) });
      const { plan, diagnostics } = await compile([file!]);
      expect(errorsOf(diagnostics)).toEqual([]);
      plans.push(plan!);
    }
    expect(plans[0]!.models['default/main']!.execution).toBe('local');
    expect('execution' in plans[1]!.models['default/main']!).toBe(false);
    expect(plans[1]!.models).toEqual(plans[2]!.models);
  });

  it('local with a rate_limit is a located INVALID_VALUE: a local call passes through no rate-limited queue', async () => {
    const { file } = writeManifests({ file: system('  rate_limit: {requests_per_second: 2}\n  execution: local\n') });
    const { plan, diagnostics } = await compile([file!]);
    expect(plan).toBeNull();
    expect(errorsOf(diagnostics).map((d) => d.code)).toEqual(['INVALID_VALUE']);
    expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: file!, line: 9, column: 14 });
  });

  it('an unknown execution is a located error naming the choices', async () => {
    const { file } = writeManifests({ file: system('  execution: inline\n') });
    const { plan, diagnostics } = await compile([file!]);
    expect(plan).toBeNull();
    expect(errorsOf(diagnostics).map((d) => d.code)).toEqual(['INVALID_VALUE']);
    expect(expectDiagnostic(diagnostics, { code: 'INVALID_VALUE', file: file!, line: 8, column: 14 }).message).toMatch(/activity.*local/);
  });
});
