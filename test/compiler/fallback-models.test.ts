import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { errorsOf, expectDiagnostic, writeManifests } from './helpers.ts';

const system = (policy: string) => `apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: main}
spec: {provider: openai-compatible, base_url: "http://127.0.0.1:9/v1", default_model: small-model}
---
apiVersion: orch/v1
kind: ModelEndpoint
metadata: {name: backup}
spec: {provider: openai-compatible, base_url: "http://127.0.0.1:9/v1", default_model: huge-model}
---
apiVersion: orch/v1
kind: Agent
metadata: {name: a}
spec:
  model_ref: main
  fallback_model_refs:
    - main
    - backup
---
apiVersion: orch/v1
kind: AgentSystem
metadata: {name: s}
spec: {agents: [a]}
---
${policy}`;

describe('fallback models against allowed_models', () => {
  it('a fallback outside a policy’s allowed_models is a located MODEL_NOT_ALLOWED error, and no plan is built', async () => {
    const { file } = writeManifests({
      file: system('apiVersion: orch/v1\nkind: AgentPolicy\nmetadata: {name: small-only}\nspec: {apply_mode: global, allowed_models: [small-model]}\n'),
    });
    const { plan, diagnostics } = await compile([file!]);
    expect(plan).toBeNull();
    expect(errorsOf(diagnostics).map((d) => d.code)).toEqual(['MODEL_NOT_ALLOWED']);
    expectDiagnostic(diagnostics, { code: 'MODEL_NOT_ALLOWED', file: file!, line: 18, column: 7 });
  });

  it('fallbacks the policies allow compile clean', async () => {
    const { file } = writeManifests({
      file: system('apiVersion: orch/v1\nkind: AgentPolicy\nmetadata: {name: both}\nspec: {apply_mode: global, allowed_models: [small-model, huge-model]}\n'),
    });
    const { plan, diagnostics } = await compile([file!]);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(plan!.agents.a!.fallbackModels).toEqual(['default/main', 'default/backup']);
  });
});
