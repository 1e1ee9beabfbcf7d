/**
 * `--json` stdout is exactly the JSON: nothing Temporal's runtime (its native core included)
 * logs may reach it, in a real process, whether the run succeeds or fails after retries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { spawnOrch } from './cli-process.ts';
import { writeFixtures } from './cli-harness.ts';

let model: OpenAICompatibleServer;
const home = mkdtempSync(join(tmpdir(), 'orch-json-'));
beforeAll(async () => {
  model = await startOpenAICompatibleServer();
});
afterAll(async () => {
  await model?.close();
  rmSync(home, { recursive: true, force: true });
});

function system(): string {
  return writeFixtures({
    'system.yaml': [
      `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: local\nspec:\n  provider: openai-compatible\n  base_url: ${model.url}\n  default_model: local-1\n`,
      `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: solo\nspec:\n  model_ref: local\n  prompt: You are solo.\n`,
      `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: json-system\nspec:\n  agents: [solo]\n`,
    ].join('---\n'),
  });
}

async function runJson(): Promise<{ code: number; stdout: string; stderr: string }> {
  const orch = spawnOrch(['run', system(), '--json', '--input', 'question=hi'], { ORCH_HOME: home });
  const code = await orch.exited;
  return { code, stdout: orch.stdout(), stderr: orch.stderr() };
}

describe('--json stdout', () => {
  it('is one JSON object and nothing else when the run succeeds', async () => {
    const { code, stdout } = await runJson();
    expect(code).toBe(0);
    expect(stdout.endsWith('}\n')).toBe(true);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'succeeded' });
  });

  it('is one JSON object and nothing else when calls fail and are retried, and the run fails', async () => {
    // Five attempts, each refused: the runtime logs every one of them.
    model.enqueue({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const { code, stdout } = await runJson();
    expect(code).toBe(1);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'failed', failure: { type: 'MODEL_UNAVAILABLE' } });
  }, 90_000);
});
