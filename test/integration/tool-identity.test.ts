/**
 * The mcp-server-name reproducer on a real dev server: a blocked MCP tool is refused under
 * each of its names (the server-side name, `<server>--<tool>`, a Tool that points at it, a
 * look-alike spelling arriving in a plan the compiler did not check), the server sees no call,
 * and the denial is in the audit trail.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import { main } from '../../cli/main.ts';
import { withHash } from '../../compiler/build-plan.ts';
import type { Plan } from '../../contract/plan.ts';
import { activitiesOf } from '../helpers/history.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { globalPolicy } from '../helpers/plan-builder.ts';
import { compileOk, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';

const MANIFESTS = resolve('test/fixtures/manifests/mcp-server-name');
const SERVER = resolve('test/fixtures/mcp-servers/write-file-server.ts');
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => harness?.stop());

/** One reproducer manifest with its MCP server pointed at a fresh call log; the log's path and the compiled plan. */
async function reproducer(name: string): Promise<{ plan: Plan; calls: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), `orch-${name}-`));
  const log = join(dir, 'calls.jsonl');
  writeFileSync(log, '');
  const manifest = readFileSync(join(MANIFESTS, `${name}.yaml`), 'utf8')
    .replaceAll('${NODE}', process.execPath)
    .replaceAll('${SERVER}', SERVER)
    .replaceAll('${CALL_LOG}', log);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, manifest);
  const plan = await compileOk([file]);
  return { plan, calls: () => readFileSync(log, 'utf8').split('\n').filter((line) => line.trim() !== '').length };
}

/** Runs the plan; its outcome, the tool activities its history holds, its audit trail, and what `orch audit` prints. */
async function run(plan: Plan) {
  const started = await harness.client.start(plan);
  const outcome = await started.result();
  const history = await started.handle.fetchHistory();
  let printed = '';
  const io = { stdout: (text: string) => void (printed += text), stderr: () => {}, env: { ...process.env, TEMPORAL_ADDRESS: harness.address }, isTTY: false };
  expect(await main(['audit', started.workflowId, '--format', 'jsonl'], io)).toBe(0);
  const cliAudit = printed.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as { kind: string; code?: string; agent?: string });
  return { outcome, toolActivities: activitiesOf(history).filter((c) => c.type === 'callTool'), trail: auditTrail(history), cliAudit };
}

/** The plan with its policies replaced, as code (not the compiler) might build it. */
function withBlocked(plan: Plan, blockedTools: string[]): Plan {
  return withHash({ ...plan, governance: { ...plan.governance, policies: blockedTools.length > 0 ? [globalPolicy('no-writes', { blockedTools })] : [] } });
}

describe('a blocked MCP tool never runs under another name', () => {
  it.each([
    ['blocked-by-mcp-name', 'policy blocks write_file; the agent calls fs--write-file', 'fs--write-file', 'write_file'],
    ['alias-tool', 'policy blocks fs--write-file; the agent calls the alias Tool harmless-writer', 'harmless-writer', 'fs--write-file'],
    ['control-blocked-by-orch-name', 'policy blocks fs--write-file; the agent calls it', 'fs--write-file', 'fs--write-file'],
  ])('%s: %s', async (name, _what, called, entry) => {
    const { plan, calls } = await reproducer(name);
    const { outcome, toolActivities, trail, cliAudit } = await run(plan);
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'a' } });
    expect(outcome.status === 'failed' && outcome.failure?.message).toContain(`blocks tool ${called} (blocked_tools entry "${entry}"`);
    expect(toolActivities).toHaveLength(0);
    expect(calls()).toBe(0);
    expect(trail.filter((e) => e.kind === 'policy.denied')).toMatchObject([{ agent: 'a', code: 'POLICY_DENIED', outcome: 'denied' }]);
    expect(cliAudit.filter((e) => e.kind === 'policy.denied')).toMatchObject([{ agent: 'a', code: 'POLICY_DENIED' }]);
  });

  it('without the policy the same call reaches the server once (the call log counts)', async () => {
    const { plan, calls } = await reproducer('alias-tool');
    const { outcome, toolActivities } = await run(withBlocked(plan, []));
    expect(outcome.status).toBe('succeeded');
    expect(toolActivities).toHaveLength(1);
    expect(calls()).toBe(1);
  });

  it.each([
    ['a Cyrillic ѕ', 'fѕ--write-file'],
    ['fullwidth letters', 'ｆｓ－－ｗｒｉｔｅ＿ｆｉｌｅ'],
    ['a Greek ι and a dot', 'fs.wrιte_file'],
  ])('a plan built in code, blocking the tool with %s, is refused in the workflow: the engine normalizes in the sandbox', async (_what, entry) => {
    const { plan, calls } = await reproducer('alias-tool');
    const { outcome, toolActivities, trail } = await run(withBlocked(plan, [entry]));
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'a' } });
    expect(outcome.status === 'failed' && outcome.failure?.message).toContain('harmless-writer');
    expect(toolActivities).toHaveLength(0);
    expect(calls()).toBe(0);
    expect(trail.filter((e) => e.kind === 'policy.denied')).toHaveLength(1);
  });
});

describe('a blocked HTTP tool never runs under another spelling of its URL', () => {
  let stub: RecordingServer;
  let loopbackHarness: Harness;
  beforeAll(async () => {
    stub = await startRecordingServer();
    loopbackHarness = await startHarness({ env: { ...process.env, ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } });
  });
  afterAll(async () => {
    await loopbackHarness?.stop();
    await stub?.close();
  });

  const system = (aliasEndpoint: string, blocked: boolean) =>
    writeOverride([
      mockEndpoint('default', 'm', { a: [{ tool_calls: [{ tool: 'rec-alias', input: { i: 1 } }] }, { text: 'done' }] }),
      httpTool('default', 'record', `${stub.url}/tool/record`, { input_schema: { type: 'object' } }),
      httpTool('default', 'rec-alias', aliasEndpoint, { input_schema: { type: 'object' } }),
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'a' }, spec: { model_ref: 'm', tools: ['rec-alias'] } },
      ...(blocked ? [{ apiVersion: 'orch/v1', kind: 'AgentPolicy', metadata: { name: 'no-record' }, spec: { apply_mode: 'global', blocked_tools: ['record'] } }] : []),
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 's' }, spec: { agents: ['a'] } },
    ]);
  const port = () => new URL(stub.url).port;

  it.each([
    ['a decimal IPv4 host', () => `http://2130706433:${port()}/tool/record`],
    ['a short IPv4 host', () => `http://127.1:${port()}/tool/record`],
    ['backslashes', () => `http://127.0.0.1:${port()}\\tool\\record`],
    ['a percent-encoded host', () => `http://127.0.0.%31:${port()}/tool/record`],
    ['localhost', () => `http://localhost:${port()}/tool/record`],
  ])('%s: POLICY_DENIED in the workflow, the stub sees nothing', async (_what, alias) => {
    const before = stub.requests.length;
    const started = await loopbackHarness.client.start(await compileOk([system(alias(), true)]));
    const outcome = await started.result();
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'POLICY_DENIED', agent: 'a' } });
    expect(stub.requests.length).toBe(before);
    // Without the policy the same alias reaches the stub: the spelling is a working address.
    const control = await (await loopbackHarness.client.start(await compileOk([system(alias(), false)]))).result();
    expect(control.status).toBe('succeeded');
    expect(stub.requests.length).toBe(before + 1);
  });
});
