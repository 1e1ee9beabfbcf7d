/**
 * The `http` Memory provider end to end on the real dev server: a scripted mock model calls the
 * five memory tools of a Memory whose entries live in a real local service speaking Orloj's
 * protocol; the bearer secret (a Secret manifest) reaches that service and nowhere else, not
 * history nor the audit; a service that answers 503 is retried and its answer is the tool's;
 * a service that answers garbage is an error the model is told, and the run goes on.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import { compile } from '../../compiler/index.ts';
import { workflowBundle } from '../../worker/index.ts';
import { activitiesOf, historyText } from '../helpers/history.ts';
import { startMemoryServer, type MemoryServer } from '../helpers/memory-http-server.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';

const TOKEN = 'adapter-token-7d2e91b4c0';
let service: MemoryServer;
let harness: Harness;

function manifests(responses: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-memory-http-'));
  writeFileSync(
    join(dir, 'system.yaml'),
    [
      `apiVersion: orloj.dev/v1\nkind: Secret\nmetadata:\n  name: adapter-api-key\nspec:\n  stringData:\n    value: ${TOKEN}\n`,
      `apiVersion: orloj.dev/v1\nkind: ModelEndpoint\nmetadata:\n  name: scripted\nspec:\n  provider: mock\n  mock:\n    responses:\n      scribe:\n${responses}`,
      `apiVersion: orloj.dev/v1\nkind: Memory\nmetadata:\n  name: custom-vectordb\nspec:\n  provider: http\n  endpoint: ${service.url}\n  auth:\n    secretRef: adapter-api-key\n`,
      `apiVersion: orloj.dev/v1\nkind: Agent\nmetadata:\n  name: scribe\nspec:\n  model_ref: scripted\n  prompt: note it\n  memory:\n    ref: custom-vectordb\n    allow: [read, write, search, list, ingest]\n`,
      `apiVersion: orloj.dev/v1\nkind: AgentSystem\nmetadata:\n  name: http-memory\nspec:\n  agents: [scribe]\n`,
    ].join('---\n')
  );
  return dir;
}

const calls = (tool: string, input: object) => `        - tool_calls: [{tool: ${tool}, input: ${JSON.stringify(input)}}]`;

beforeAll(async () => {
  service = await startMemoryServer({ token: TOKEN });
  // The worker loads the manifests, as `orch worker --secrets` does: the Secret's value, and the Memory that binds it to its endpoint.
  const loaded = await compile([manifests('        - text: unused\n')]);
  harness = await startHarness({ env: { ORCH_TOOLS_ALLOW_LOOPBACK: 'true' }, secrets: loaded.secrets, manifests: loaded.manifests });
});
afterAll(async () => {
  await harness?.stop();
  await service?.close();
});

async function run(responses: string[]) {
  const { plan, diagnostics } = await compile([manifests(`${responses.join('\n')}\n`)]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const started = await harness.client.start(plan!);
  const outcome = await started.result();
  const history = await started.handle.fetchHistory();
  const results = activitiesOf(history)
    .filter((c) => c.type === 'callMemory')
    .map((c) => [(c.input as { call: { name: string } }).call.name, (c.result as { output: unknown } | undefined)?.output]);
  return { outcome, history, results, workflowId: started.workflowId };
}

describe('http Memory on the dev server', () => {
  it('write, ingest, list, search and read go to the service, with the secret only in its requests', async () => {
    service.requests.length = 0;
    const { outcome, history, results, workflowId } = await run([
      calls('memory.write', { key: 'deploy/decision', value: 'roll back the release' }),
      calls('memory.ingest', { source: 'runbook', content: 'pause the rollout, then roll back', chunk_size: 20, overlap: 0 }),
      calls('memory.list', { prefix: 'runbook/' }),
      calls('memory.search', { query: 'roll back', top_k: 5 }),
      calls('memory.read', { key: 'deploy/decision' }),
      '        - text: done',
    ]);
    expect(outcome.status).toBe('succeeded');
    expect(results).toEqual([
      ['memory.write', { status: 'ok', key: 'deploy/decision' }],
      ['memory.ingest', { status: 'ok', source: 'runbook', chunks_stored: 2 }],
      ['memory.list', { entries: [{ key: 'runbook/chunk-0000', value: 'pause the rollout, t' }, { key: 'runbook/chunk-0001', value: 'hen roll back' }], count: 2 }],
      [
        'memory.search',
        {
          results: [
            { key: 'deploy/decision', value: 'roll back the release', score: 1 },
            { key: 'runbook/chunk-0001', value: 'hen roll back', score: 1 },
          ],
          count: 2,
        },
      ],
      ['memory.read', { found: true, key: 'deploy/decision', value: 'roll back the release' }],
    ]);
    expect(service.requests.map((r) => r.path)).toEqual(['/memory/put', '/memory/put', '/memory/put', '/memory/list', '/memory/search', '/memory/get']);
    for (const request of service.requests) expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(historyText(history)).not.toContain(TOKEN);
    const audit = auditTrail(history);
    expect(audit.filter((e) => e.kind === 'tool.call').length).toBe(5);
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
  }, 90_000);

  it('a 503 is retried by Temporal and the answer after it is the tool\'s; garbage is an error the model is told', async () => {
    let refusals = 0;
    service.intercept = (request) => {
      if (request.path.endsWith('/get') && refusals < 1) {
        refusals++;
        return { status: 503, body: '{"error":"warming up"}' };
      }
      if (request.path.endsWith('/list')) return { body: 'not json at all' };
      return undefined;
    };
    try {
      const listsBefore = service.requests.filter((r) => r.path.endsWith('/list')).length;
      const { outcome, results, history } = await run([calls('memory.read', { key: 'deploy/decision' }), calls('memory.list', {}), '        - text: done']);
      const audit = auditTrail(history);
      expect(outcome.status).toBe('succeeded');
      expect(refusals).toBe(1);
      expect(results[0]).toEqual(['memory.read', { found: true, key: 'deploy/decision', value: 'roll back the release' }]);
      // A non-retryable failure, not a result: the attempt was not repeated, and the model is told the code.
      expect(results[1]).toEqual(['memory.list', undefined]);
      expect(service.requests.filter((r) => r.path.endsWith('/list')).length).toBe(listsBefore + 1);
      const told = audit.find((e) => e.kind === 'tool.call' && e.subject === 'memory.list');
      expect(told).toMatchObject({ outcome: 'failed', code: 'TOOL_RESPONSE_INVALID' });
    } finally {
      service.intercept = undefined;
    }
  }, 90_000);
});
