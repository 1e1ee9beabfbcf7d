/**
 * Secrets stay out of logs: `orch run` as its own process, with Temporal's full debug log on,
 * against a model endpoint and an HTTP tool that echo the credentials they were given in
 * their errors. Neither key appears in anything the process prints, nor in the history.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { historyText } from '../helpers/history.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const MODEL_KEY = `sk-live-${randomUUID()}`;
const TOOL_TOKEN = `tok-${randomUUID()}`;
let model: OpenAICompatibleServer;
let tool: RecordingServer;

beforeAll(async () => {
  model = await startOpenAICompatibleServer();
  tool = await startRecordingServer({
    respond: (request) => ({ status: 500, body: { error: `backend refused ${request.headers.authorization ?? ''}` } }),
  });
});
afterAll(async () => {
  await model?.close();
  await tool?.close();
});

function runOrch(dir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['cli/bin.ts', 'run', dir, '--json', '--task-queue', `secrets-${randomUUID()}`], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress(),
      ORCH_DEBUG: '1',
      ORCH_TOOLS_ALLOW_LOOPBACK: 'true',
      ORCH_SECRET_MODEL_KEY: MODEL_KEY,
      ORCH_SECRET_TOOL_TOKEN: TOOL_TOKEN,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('secrets in logs', () => {
  it('neither the model key nor the tool token appears in the debug log, the output or the history', async () => {
    // The model asks for the tool, which fails echoing its token; the model then fails echoing its key.
    model.enqueue({ toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }] }, { status: 401, body: { error: { message: `Incorrect API key provided: ${MODEL_KEY}` } } });
    const dir = mkdtempSync(join(tmpdir(), 'orch-secrets-'));
    writeFileSync(
      join(dir, 'system.yaml'),
      [
        `apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata:\n  name: keyed\nspec:\n  provider: openai-compatible\n  base_url: ${model.url}\n  default_model: m\n  auth:\n    secretRef: model-key\n`,
        `apiVersion: orch/v1\nkind: Tool\nmetadata:\n  name: lookup\nspec:\n  type: http\n  endpoint: ${tool.url}/lookup\n  auth:\n    secretRef: tool-token\n`,
        `apiVersion: orch/v1\nkind: Agent\nmetadata:\n  name: agent\nspec:\n  model_ref: keyed\n  prompt: look it up\n  tools: [lookup]\n`,
        `apiVersion: orch/v1\nkind: AgentSystem\nmetadata:\n  name: keyed-system\nspec:\n  agents: [agent]\n`,
      ].join('---\n')
    );
    const { code, output } = await runOrch(dir);
    expect(code).toBe(1);
    // The credentials were really sent, and really echoed back.
    expect(model.requests[0]!.headers.authorization).toBe(`Bearer ${MODEL_KEY}`);
    expect(tool.requests[0]!.headers.authorization).toBe(`Bearer ${TOOL_TOKEN}`);
    expect(output).toMatch(/MODEL_AUTH_FAILED/);
    // The echoes reached the log, masked.
    expect(output).toContain('Incorrect API key provided: ***');
    for (const secret of [MODEL_KEY, TOOL_TOKEN]) expect(output).not.toContain(secret);

    const workflowId = /"workflowId":"([^"]+)"/.exec(output)![1]!;
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      const history = historyText(await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory());
      expect(history).toContain('backend refused Bearer ***');
      for (const secret of [MODEL_KEY, TOOL_TOKEN]) expect(history).not.toContain(secret);
    } finally {
      await connection.close();
    }
  }, 60_000);
});
