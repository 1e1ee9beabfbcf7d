/**
 * callTool and Orloj's tool contract v1 response envelope, against a real local HTTP
 * endpoint: `status: ok` hands the model `output.result`; any other status is the tool's own
 * error (retried when it says `retryable`); a body without `tool_contract_version` is an
 * ordinary answer, whatever fields it has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeActivities, createActivities } from '../../activities/index.ts';
import { readContractResponse } from '../../activities/tool-contract-response.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { applicationFailureOf, planTool, toolRequest } from '../helpers/activity-fixtures.ts';

let server: RecordingServer;
let activities: ReturnType<typeof createActivities>;
beforeAll(async () => {
  server = await startRecordingServer();
  activities = createActivities({ env: {}, network: { allowLoopback: true } });
});
afterAll(async () => {
  await closeActivities(activities);
  await server.close();
});

function call(body: unknown, status = 200) {
  server.enqueue({ status, body });
  const env = new MockActivityEnvironment({ activityId: '1', workflowExecution: { workflowId: 'run-1', runId: 'r' } });
  return env.run(activities.callTool, toolRequest(planTool({ endpoint: `${server.url}/tool` })));
}

describe('an Orloj tool contract response', () => {
  it('status ok: the model gets output.result, trimmed', async () => {
    const result = await call({ tool_contract_version: 'v1', status: 'ok', output: { result: '  TOP_RESULT=item-7842 \n' } });
    expect(result).toMatchObject({ output: 'TOP_RESULT=item-7842', isError: false });
  });

  it('status ok without a result: the whole body, nothing lost', async () => {
    const body = { tool_contract_version: 'v1', status: 'OK', usage: { attempt: 1 } };
    expect(await call(body)).toMatchObject({ output: body, isError: false });
  });

  it("status error, not retryable: the tool's error, coded, reaches the model as a tool error", async () => {
    const result = await call({
      tool_contract_version: 'v1',
      status: 'error',
      error: { code: 'invalid_input', reason: 'schema_violation', retryable: false, message: 'goal is required' },
    });
    expect(result).toMatchObject({ output: { error: 'invalid_input', status: 'error', reason: 'schema_violation', message: 'goal is required' }, isError: true });
  });

  it('status error, retryable: TOOL_UNAVAILABLE, which runtime.retry retries', async () => {
    const failure = await applicationFailureOf(call({ tool_contract_version: 'v1', status: 'error', error: { code: 'backend_busy', retryable: true, message: 'try later' } }));
    expect(failure.type).toBe('TOOL_UNAVAILABLE');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('try later');
  });

  it('status denied without an error envelope: a tool error that says so', async () => {
    expect(await call({ tool_contract_version: 'v1', status: 'denied' })).toMatchObject({
      output: { error: 'tool_error', status: 'denied', message: 'tool response missing error envelope' },
      isError: true,
    });
  });

  it('a body without tool_contract_version is an ordinary answer, even with a status field', async () => {
    const body = { status: 'active', output: { result: 'not an envelope' } };
    expect(await call(body)).toMatchObject({ output: body, isError: false });
  });

  it('a 4xx stays the 4xx it is: its body reaches the model unchanged', async () => {
    const body = { tool_contract_version: 'v1', status: 'error', error: { code: 'bad', retryable: true } };
    expect(await call(body, 422)).toMatchObject({ output: body, isError: true });
  });
});

describe('readContractResponse', () => {
  it.each([
    ['text', 'plain answer'],
    ['an array', [{ status: 'ok' }]],
    ['null', null],
    ['an empty version', { tool_contract_version: ' ', status: 'error' }],
    ['no status', { tool_contract_version: 'v1', output: { result: 'x' } }],
    ['a non-string status', { tool_contract_version: 'v1', status: 500 }],
  ])('%s is not an envelope', (_name, body) => {
    expect(readContractResponse(body as never)).toEqual({ kind: 'plain' });
  });

  it('a non-string result keeps the whole body; a hostile error envelope yields only its strings', () => {
    const body = { tool_contract_version: 'v1', status: 'ok', output: { result: { nested: true } } };
    expect(readContractResponse(body)).toEqual({ kind: 'ok', output: body });
    expect(readContractResponse({ tool_contract_version: 'v1', status: 'error', error: { code: 42, retryable: 'yes', message: ['x'] } })).toEqual({
      kind: 'error',
      retryable: false,
      output: { error: 'tool_error', status: 'error', message: 'tool reported status error' },
    });
  });
});
