/**
 * Overrides that point an Orloj scenario at local parts: a scripted mock model in place of
 * its hosted model, and local stub endpoints in place of its tools. Written as YAML files
 * and passed with `overrides`, exactly as a user would with `--override`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { compile, type CompileOptions } from '../../compiler/index.ts';
import type { Plan } from '../../contract/plan.ts';
import { errorsOf } from '../compiler/helpers.ts';

export { ORLOJ_CORPUS as CORPUS } from '../compiler/helpers.ts';

export interface ScriptedStep {
  text?: string;
  tool_calls?: { tool: string; input: unknown }[];
  latency?: string;
  usage?: { input_tokens: number; output_tokens: number };
}

export function mockEndpoint(namespace: string, name: string, responses: Record<string, ScriptedStep[]>): object {
  return {
    apiVersion: 'orch/v1',
    kind: 'ModelEndpoint',
    metadata: { name, namespace },
    spec: { provider: 'mock', default_model: 'mock-1', mock: { responses } },
  };
}

export function httpTool(namespace: string, name: string, endpoint: string, spec: Record<string, unknown> = {}): object {
  return { apiVersion: 'orch/v1', kind: 'Tool', metadata: { name, namespace }, spec: { type: 'http', endpoint, ...spec } };
}

/** A global ToolPermission under which every `write` call of `tool` waits for a person. */
export function approvalRequired(tool: string, name: string): object {
  return {
    apiVersion: 'orch/v1',
    kind: 'ToolPermission',
    metadata: { name },
    spec: { tool_ref: tool, action: 'invoke', apply_mode: 'global', operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }] },
  };
}

/** Writes the resources as one multi-document YAML file and returns its path. */
export function writeOverride(resources: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-override-'));
  const file = join(dir, 'override.yaml');
  writeFileSync(file, resources.map((r) => stringify(r)).join('---\n'));
  return file;
}

/** Compiles as `compile` does and expects no error diagnostics; returns the plan. */
export async function compileOk(paths: string[], options: CompileOptions = {}): Promise<Plan> {
  const { plan, diagnostics } = await compile(paths, options);
  expect(errorsOf(diagnostics)).toEqual([]);
  return plan!;
}
