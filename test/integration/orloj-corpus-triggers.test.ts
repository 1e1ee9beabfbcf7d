/**
 * The Orloj corpus matrix, memory and trigger folders: memory written and recalled within a
 * run and across Tasks, signed TaskWebhook deliveries, TaskSchedules triggered through
 * Temporal, and the kitchen sink that has all of it, each through the OpenAI-compatible
 * provider against a scripted local model. As Orloj's gates read `/v1/memories/<name>/entries`,
 * these read the memory store itself, not just the calls that wrote it. The mock scenario
 * 05-retry-deadletter runs here too: it is the longest run, and these overlap it best.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, expect } from 'vitest';
import { auditTrail } from '../../client/audit.ts';
import type { RunOutcome } from '../../client/orch-client.ts';
import { applySchedule, deleteSchedule, scheduleId, triggerSchedule } from '../../client/schedules.ts';
import { createWebhookHandler, WEBHOOK_DELIVERY_PATH, webhookWorkflowId } from '../../client/webhook-handler.ts';
import { memoryStoreId } from '../../activities/call-memory.ts';
import { resolveSecret } from '../../activities/secrets.ts';
import type { JsonValue } from '../../contract/plan.ts';
import type { ScheduleDefinition } from '../../contract/schedules.ts';
import { memoryOperationUpdate } from '../../contract/wire-names.ts';
import { activitiesOf } from '../helpers/history.ts';
import { listenOnLoopback } from '../helpers/listen-loopback.ts';
import { corpusRig, prepare, type CorpusRig, type Prepared } from '../helpers/orloj-corpus.ts';
import { defineMatrix } from '../helpers/orloj-corpus-matrix.ts';
import { STUB_AUTH_KEY } from '../helpers/orloj-tool-stub.ts';
import { callTools, say, steps, type AgentScript, type ModelTurn } from '../helpers/scripted-model.ts';

const rig: CorpusRig = corpusRig();
const schedules: string[] = [];
afterAll(async () => {
  for (const key of schedules) await deleteSchedule(rig.harness.client, key).catch(() => {});
});

const minuteDigest: Partial<ScheduleDefinition> = { cron: '* * * * *', timeZone: 'America/Chicago', concurrencyPolicy: 'forbid', startingDeadlineSeconds: 300, suspend: false };

const text = (output: unknown) => (typeof output === 'string' ? output : JSON.stringify(output));
const evidence = (turn: ModelTurn, pattern: RegExp): string => turn.toolResults.join('\n').match(pattern)?.[0] ?? 'missing';

async function finished(workflowId: string) {
  const run = rig.harness.client.getRun(workflowId);
  const outcome = await run.result();
  const history = await rig.harness.client.client.workflow.getHandle(workflowId).fetchHistory();
  return { outcome, history, trail: auditTrail(history), memoryCalls: activitiesOf(history).filter((c) => c.type === 'callMemory') };
}

async function runTask(prepared: Prepared, index = 0) {
  const run = await rig.harness.client.start(prepared.plans[index]!);
  return finished(run.workflowId);
}

/** What `memory.read` finds in the worker's store now, like Orloj's memory entries endpoint. */
async function storedValue(namespace: string, name: string, key: string): Promise<JsonValue | undefined> {
  const store = rig.harness.client.client.workflow.getHandle(memoryStoreId(rig.harness.taskQueue, { id: { namespace, name } }));
  const { output } = await store.executeUpdate(memoryOperationUpdate, {
    args: [{ requestId: `matrix-read-${randomUUID()}`, tool: 'memory.read', input: { key }, type: 'vector', maxEntries: 1000, maxBytes: 10_000_000 }],
  });
  return (output as { found?: boolean; value?: JsonValue }).found ? (output as { value: JsonValue }).value : undefined;
}

/** The folder's webhooks served on loopback, as `orch serve` serves them, with their Secrets. */
async function serveWebhooks(prepared: Prepared) {
  const triggers = prepared.triggers!;
  const handler = createWebhookHandler({ webhooks: triggers.webhooks, client: rig.harness.client, resolveSecret: (ref) => resolveSecret(ref, { env: {}, secrets: triggers.secrets }) });
  const listener = await listenOnLoopback(createServer((req, res) => void handler(req, res)));
  const deliver = (hook: string, secret: string, body: string, eventId: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    return fetch(`http://127.0.0.1:${listener.port}${WEBHOOK_DELIVERY_PATH}${hook}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signature}`, 'x-timestamp': timestamp, 'x-event-id': eventId },
      body,
    });
  };
  return { deliver, close: () => listener.close(), definition: (key: string) => triggers.webhooks.find((w) => `${w.namespace}/${w.name}` === key)! };
}

/**
 * Orloj's webhook gate: a signed delivery is accepted (202) and starts exactly one run; the
 * same event again is a duplicate that starts none; a bad signature is refused (401) and
 * starts none. Returns the run.
 */
async function webhookDelivery(prepared: Prepared, hook: string, secret: string, body: string) {
  const served = await serveWebhooks(prepared);
  try {
    const eventId = `evt-matrix-${randomUUID()}`;
    const accepted = await served.deliver(hook, secret, body, eventId);
    expect(accepted.status).toBe(202);
    const first = (await accepted.json()) as { duplicate: boolean; task: string; run: { workflowId: string; runId: string } };
    expect(first).toMatchObject({ duplicate: false, task: first.run.workflowId });
    const result = await finished(first.run.workflowId);

    const again = await served.deliver(hook, secret, body, eventId);
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ duplicate: true, run: { workflowId: first.run.workflowId } });
    // Still the first run: nothing started under its workflow id since.
    expect((await rig.harness.client.client.workflow.getHandle(first.run.workflowId).describe()).runId).toBe(first.run.runId);

    const forgedEvent = `evt-matrix-forged-${randomUUID()}`;
    const forged = await served.deliver(hook, `${secret}-not`, body, forgedEvent);
    expect(forged.status).toBe(401);
    await expect(rig.harness.client.client.workflow.getHandle(webhookWorkflowId(served.definition(hook), forgedEvent)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    return { eventId, ...result };
  } finally {
    await served.close();
  }
}

/** Orloj's schedule gate: the TaskSchedule, applied and triggered through Temporal, produces a run. */
async function scheduledRun(prepared: Prepared, key: string, expected: Partial<ScheduleDefinition>) {
  const definition = prepared.triggers!.schedules.find((s) => `${s.namespace}/${s.name}` === key)!;
  expect(definition).toMatchObject(expected);
  schedules.push(key);
  expect(await applySchedule(rig.harness.client, definition)).toBe('created');
  const triggered = await triggerSchedule(rig.harness.client, key);
  // The cron is every minute: a tick just before the trigger has a run going, and `forbid`
  // skips the trigger. That run is the schedule's too.
  const running = triggered.skipped ? (await rig.harness.client.client.schedule.getHandle(scheduleId(definition.namespace, definition.name)).describe()).info.runningActions[0]?.workflow.workflowId : undefined;
  const workflowId = triggered.workflowId ?? running;
  expect(workflowId).toBeTruthy();
  const result = await finished(workflowId!);
  await deleteSchedule(rig.harness.client, key);
  return result;
}

defineMatrix(
  'triggers',
  {
    // The corpus's longest run (its Task.retry backoff alone is 5.6 s), first so the others overlap it.
    'testing/scenarios/05-retry-deadletter': async () => {
      const agent = 'rt-retry-timeout-agent';
      // limits.timeout is 1ms: the scripted model answers late, so the timeout always wins.
      const prepared = await prepare(rig, 'testing/scenarios/05-retry-deadletter', { [agent]: () => ({ text: 'too late', delayMs: 3_000 }) });
      const { outcome, history } = await runTask(prepared);
      expect(outcome.status).toBe('failed');
      expect(outcome.failure).toMatchObject({ type: 'AGENT_TIMEOUT', agent, deadLettered: true });
      // Task.retry: 4 run attempts, each with message_retry's 2 activation attempts.
      expect(outcome.runAttempts).toBe(4);
      const models = activitiesOf(history).filter((c) => c.type === 'callModel');
      expect(models).toHaveLength(8);
      expect(models.some((c) => c.completed)).toBe(false);
      expect(outcome.activations).toEqual([]);
      expect(prepared.log.turns.length).toBeGreaterThan(0);
    },

    'testing/scenarios-real/16-kitchen-sink': () => kitchenSink(),

    'testing/scenarios-real/06-memory-shared-handoff': async () => {
      const name = (role: string) => `rr-real-memory-shared-${role}-agent`;
      const facts = 'rollback completed at 14:17 UTC; error rate dropped to 4% by 14:24 UTC; VIP merchants still impacted';
      const recommendation = 'Prioritize VIP merchant recovery and direct outreach; confirm rollback stabilization; publish customer update within 30 minutes with no root-cause claims.';
      const prepared = await prepare(rig, 'testing/scenarios-real/06-memory-shared-handoff', {
        [name('planner')]: () => say('TRIAGE_OBJECTIVES: impact, timeline\nHANDOFF_READY: yes'),
        [name('research')]: steps(callTools(['memory.write', { key: 'incident/facts', value: facts }]), callTools(['memory.write', { key: 'triage/recommendation', value: recommendation }]), say('MEMORY_WRITE: ok\nSTORED_KEY_1: incident/facts\nSTORED_KEY: triage/recommendation')),
        [name('writer')]: steps(callTools(['memory.search', { query: 'payment API saturation', top_k: 3 }]), callTools(['memory.read', { key: 'triage/recommendation' }]), (turn) =>
          say(`USED_MEMORY: yes\nRETRIEVED_FACT: rollback completed at 14:17 UTC\nOPS_SUMMARY: ${evidence(turn, /Prioritize VIP merchant recovery/)}\nCUSTOMER_SUMMARY: recovering`)
        ),
      });
      const { outcome, trail, memoryCalls } = await runTask(prepared);
      expect(outcome.status).toBe('succeeded');
      const toolCalls = trail.filter((e) => e.kind === 'tool.call');
      expect(toolCalls.length).toBeGreaterThanOrEqual(3);
      expect(toolCalls.every((e) => e.outcome === 'succeeded')).toBe(true);
      expect(outcome.usage.total.toolErrors).toBe(0);
      expect(toolCalls.map((e) => [e.agent, e.subject])).toEqual([
        [name('research'), 'memory.write'],
        [name('research'), 'memory.write'],
        [name('writer'), 'memory.search'],
        [name('writer'), 'memory.read'],
      ]);
      expect(outcome.usage.byAgent[name('writer')]!.toolCalls).toBeGreaterThanOrEqual(2);
      // The prompt's own query shares no word with what was stored: nothing found, as in Orloj.
      expect(memoryCalls[2]!.result.output).toEqual({ results: [], count: 0 });
      expect(memoryCalls[3]!.result.output).toEqual({ found: true, key: 'triage/recommendation', value: recommendation });
      expect(text(outcome.output)).toContain('OPS_SUMMARY: Prioritize VIP merchant recovery');
      expect(await storedValue('rr-real-memory-shared', 'rr-real-memory-shared-store', 'triage/recommendation')).toBe(recommendation);
      expect(String(await storedValue('rr-real-memory-shared', 'rr-real-memory-shared-store', 'incident/facts')).toLowerCase()).toContain('rollback completed at 14:17 utc');
    },

    'testing/scenarios-real/07-memory-persistent-reuse': async () => {
      const agent = 'rr-real-memory-reuse-agent';
      const action = 'pause the rollout and roll back release 2026.03.18.2';
      const reuse: AgentScript = (turn) => {
        const seeding = /mode\W+seed/.test(turn.input);
        if (seeding) {
          const runbook = turn.taskInput.runbook_text;
          return [callTools(['memory.ingest', { source: 'runbook', content: runbook }]), callTools(['memory.write', { key: 'runbook/primary_action', value: action }]), say('MODE: seed\nSEEDED: yes')][Math.min(turn.step, 3) - 1]!;
        }
        if (turn.step === 1) return callTools(['memory.search', { query: 'first operator action when checkout API returns HTTP 503 after a deploy', top_k: 3 }]);
        if (turn.step === 2) return callTools(['memory.read', { key: 'runbook/primary_action' }]);
        return say(`MODE: query\nUSED_MEMORY: yes\nRUNBOOK_QUOTE: ${JSON.parse(turn.toolResults[1]!).value}\nFINAL_ANSWER: pause and roll back`);
      };
      const prepared = await prepare(rig, 'testing/scenarios-real/07-memory-persistent-reuse', { [agent]: reuse }, { tasks: ['rr-real-memory-seed-task', 'rr-real-memory-query-task'] });
      const seed = await runTask(prepared, 0);
      expect(seed.outcome.status).toBe('succeeded');
      expect(text(seed.outcome.output)).toContain('MODE: seed');
      // A separate Task, a separate run: it finds what the seed stored.
      const query = await runTask(prepared, 1);
      expect(query.outcome.status).toBe('succeeded');
      const [search, read] = query.memoryCalls.map((c) => c.result.output);
      expect(search.count).toBeGreaterThan(0);
      expect(read).toEqual({ found: true, key: 'runbook/primary_action', value: action });
      for (const marker of ['MODE: query', 'USED_MEMORY: yes', `RUNBOOK_QUOTE: ${action}`]) expect(text(query.outcome.output)).toContain(marker);
      expect(await storedValue('rr-real-memory-reuse', 'rr-real-memory-reuse-store', 'runbook/primary_action')).toBe(action);
    },

    'testing/scenarios-real/11-webhook-live-flow': async () => {
      const agent = 'rr-real-webhook-triage-agent';
      const prepared = await prepare(
        rig,
        'testing/scenarios-real/11-webhook-live-flow',
        {
          [agent]: steps(
            (turn) => callTools(['memory.write', { key: `webhook/${turn.taskInput.webhook_event_id}`, value: JSON.stringify(turn.taskInput.webhook_payload) }]),
            (turn) => say(`WEBHOOK_FLOW: accepted\nUSED_MEMORY: ${evidence(turn, /"status":"ok"/) === 'missing' ? 'no' : 'yes'}\nEVENT_ID: ${turn.taskInput.webhook_event_id}`)
          ),
        },
        { templates: true }
      );
      const body = JSON.stringify({ event: 'incident.triggered', service: 'checkout', severity: 'sev1' });
      const { eventId, outcome, trail } = await webhookDelivery(prepared, 'rr-real-webhook/rr-real-webhook-ingest', 'rr-webhook-secret', body);
      expect(outcome.status).toBe('succeeded');
      expect(trail.filter((e) => e.kind === 'tool.call')).toMatchObject([{ agent, subject: 'memory.write', outcome: 'succeeded' }]);
      for (const marker of ['WEBHOOK_FLOW: accepted', 'USED_MEMORY: yes', `EVENT_ID: ${eventId}`]) expect(text(outcome.output)).toContain(marker);
      // orch hands the agent the JSON body as JSON (Orloj: as a string); the agent stored it back as text.
      expect(await storedValue('rr-real-webhook', 'rr-real-webhook-memory', `webhook/${eventId}`)).toBe(body);
    },

    'testing/scenarios-real/12-schedule-live-flow': async () => {
      const prepared = await prepare(
        rig,
        'testing/scenarios-real/12-schedule-live-flow',
        {
          'rr-real-schedule-digest-agent': steps(
            (turn) => callTools(['memory.write', { key: 'schedule/last-run', value: turn.taskInput.topic }]),
            (turn) => say(`SCHEDULE_FLOW: accepted\nUSED_MEMORY: ${evidence(turn, /"status":"ok"/) === 'missing' ? 'no' : 'yes'}\nDIGEST_TOPIC: scheduled support risk digest`)
          ),
        },
        { templates: true }
      );
      const { outcome, trail } = await scheduledRun(prepared, 'rr-real-schedule/rr-real-minute-digest', minuteDigest);
      expect(outcome.status).toBe('succeeded');
      expect(trail.filter((e) => e.kind === 'tool.call')).toMatchObject([{ subject: 'memory.write', outcome: 'succeeded' }]);
      expect(text(outcome.output)).toContain('SCHEDULE_FLOW: accepted');
      expect(text(outcome.output)).toContain('USED_MEMORY: yes');
      expect(await storedValue('rr-real-schedule', 'rr-real-schedule-memory', 'schedule/last-run')).toBe('scheduled support risk digest');
    },

    'examples/use-cases/event-driven-webhook': async () => {
      const prepared = await prepare(rig, 'examples/use-cases/event-driven-webhook', {}, { templates: true });
      const { outcome, history } = await webhookDelivery(prepared, 'default/uc-webhook-generic', 'replace-with-a-long-random-shared-secret', JSON.stringify({ topic: 'incident 42' }));
      expect(outcome.status).toBe('succeeded');
      expect(outcome.activations.map((a) => a.agent)).toEqual(['uc-webhook-planner-agent', 'uc-webhook-research-agent', 'uc-webhook-writer-agent']);
      // The payload reached the entry agent through the run input.
      const first = activitiesOf(history).find((c) => c.type === 'callModel')!;
      expect(JSON.stringify(first.input.messages)).toContain('incident 42');
    },

    'examples/use-cases/weekly-intelligence-brief': async () => {
      const agents = ['planner', 'research', 'writer'].map((r) => `uc-weekly-brief-${r}-agent`);
      const prepared = await prepare(rig, 'examples/use-cases/weekly-intelligence-brief', {}, { templates: true, tasks: [undefined] });
      const direct = await runTask(prepared, prepared.plans.length - 1);
      expect(direct.outcome.status).toBe('succeeded');
      expect(direct.outcome.activations.map((a) => a.agent)).toEqual(agents);
      const scheduled = await scheduledRun(prepared, 'default/uc-weekly-brief-cron', { task: 'default/uc-weekly-brief-template' });
      expect(scheduled.outcome.status).toBe('succeeded');
      expect(scheduled.outcome.activations.map((a) => a.agent)).toEqual(agents);
    },
  },
  90_000
);

async function kitchenSink(): Promise<void> {
  const ns = 'rr-real-kitchen';
  const name = (role: string) => `rr-real-kitchen-${role}-agent`;
  const tool = (t: string) => `rr-real-kitchen-${t}-tool`;
  const [echo, sum] = ['rr-real-kitchen-mcp--echo', 'rr-real-kitchen-mcp--get-sum'] as const;
  const retryCase = `matrix-16-${randomUUID().slice(0, 8)}`;
  const runbook = 'If checkout latency spikes after a cache deploy, drain queue shard-7 then re-enable traffic.';
  const action = 'drain queue shard-7 then re-enable traffic';
  const inbox = (turn: ModelTurn, pattern: RegExp) => turn.input.match(pattern)?.[0] ?? 'missing';
  const prepared = await prepare(
    rig,
    'testing/scenarios-real/16-kitchen-sink',
    {
      [name('knowledge-worker')]: steps(callTools([tool('lookup'), { query: 'INC-KITCHEN-001 checkout', goal: 'matrix-16' }]), (turn) => say(`FACTS: ${evidence(turn, /TOP_RESULT=[\w-]+/)}`)),
      [name('analytics-worker')]: steps(callTools([tool('calculate'), { expression: '6 * 7', goal: 'matrix-16' }]), (turn) => say(`IMPACT: ${evidence(turn, /COMPUTED_RESULT=\d+/)}`)),
      [name('mcp-worker')]: steps(callTools([echo, { message: 'mcp-smoke-test-marker' }], [sum, { a: 17, b: 25 }]), (turn) => say(`ECHO: ${evidence(turn, /mcp-smoke-test-marker/)}\nSUM: ${evidence(turn, /\b42\b/)}`)),
      // The auth worker's execution contract: the auth tool, then AUTH_PATH and EVIDENCE.
      [name('auth-worker')]: steps(callTools([tool('auth'), { goal: 'matrix-16', timestamp_hint: 't0' }]), (turn) => say(`AUTH_PATH: ok\nCONTRACT_PATH: ok\nEVIDENCE: ${evidence(turn, /AUTH_STATUS=\w+/)}`)),
      // runtime.retry max_attempts 2: the stub's first 500 is retried by orch, one call for the model.
      [name('retry-worker')]: steps(callTools([tool('retry'), { retry_case: retryCase, timestamp_hint: 't0' }]), (turn) => say(`RECOVERY_STATUS: recovered\nEVIDENCE: ${evidence(turn, /ATTEMPT=\d+/)}`)),
      [name('editor')]: (turn) =>
        say(
          [
            'MERGED_BRANCHES: knowledge,analytics,mcp,auth,retry',
            `EVIDENCE_LOOKUP: ${inbox(turn, /TOP_RESULT=[\w-]+/)}`,
            `EVIDENCE_CALC: ${inbox(turn, /COMPUTED_RESULT=\d+/)}`,
            `EVIDENCE_MCP: ${inbox(turn, /mcp-smoke-test-marker/)} ${inbox(turn, /SUM: 42/)}`,
            `EVIDENCE_AUTH: ${inbox(turn, /AUTH_STATUS=\w+/)}`,
            `EVIDENCE_RETRY: ${inbox(turn, /ATTEMPT=\d+/)}`,
            'CUSTOMER_SUMMARY: all tracks green',
          ].join('\n')
        ),
      [name('memory-reuse')]: (turn) => {
        if (/mode\W+seed/.test(turn.input)) {
          return [callTools(['memory.ingest', { source: 'runbook', content: runbook }]), callTools(['memory.write', { key: 'runbook/kitchen_action', value: action }]), say('MODE: seed\nSEEDED: yes')][Math.min(turn.step, 3) - 1]!;
        }
        if (turn.step === 1) return callTools(['memory.search', { query: 'what operator action after checkout latency spikes post cache deploy', top_k: 3 }]);
        if (turn.step === 2) return callTools(['memory.read', { key: 'runbook/kitchen_action' }]);
        return say(`MODE: query\nUSED_MEMORY: yes\nRUNBOOK_QUOTE: ${JSON.parse(turn.toolResults[1]!).value}\nFINAL_ANSWER: drain shard-7`);
      },
      [name('webhook-triage')]: steps(
        (turn) => callTools(['memory.write', { key: `webhook/${turn.taskInput.webhook_event_id}`, value: JSON.stringify(turn.taskInput.webhook_payload) }]),
        say('WEBHOOK_FLOW: accepted\nUSED_MEMORY: yes\nEVENT_ID:')
      ),
      [name('schedule-digest')]: steps(callTools(['memory.write', { key: 'schedule/last-run', value: 'kitchen scheduled digest validation' }]), say('SCHEDULE_FLOW: accepted\nUSED_MEMORY: yes\nDIGEST_TOPIC:')),
    },
    { templates: true, tasks: ['rr-real-kitchen-primary-task', 'rr-real-kitchen-memory-seed-task', 'rr-real-kitchen-memory-query-task'] }
  );
  const [primaryPlan, seedIndex, queryIndex] = [prepared.plans.length - 3, prepared.plans.length - 2, prepared.plans.length - 1];

  // The primary task: five branches joined by the editor (wait_for_all).
  const primary = await runTask(prepared, primaryPlan);
  const outcome: RunOutcome = primary.outcome;
  expect(outcome.status).toBe('succeeded');
  const workers = ['knowledge-worker', 'analytics-worker', 'mcp-worker', 'auth-worker', 'retry-worker'].map(name);
  const editor = outcome.activations.filter((a) => a.agent === name('editor'));
  expect(editor).toHaveLength(1);
  expect(editor[0]!.from.sort()).toEqual([...workers].sort());
  // The auth worker's execution contract (observe) was met: nothing recorded against it.
  expect(prepared.plans[primaryPlan]!.agents[name('auth-worker')]!.contract).toMatchObject({ toolSequence: [tool('auth')], onContractViolation: 'observe' });
  expect(primary.trail.filter((e) => e.kind === 'contract.observed')).toEqual([]);
  const calls = primary.trail.filter((e) => e.kind === 'tool.call' && e.outcome === 'succeeded');
  expect(calls.length).toBeGreaterThanOrEqual(6);
  expect(calls.map((e) => [e.agent, e.subject]).sort()).toEqual(
    [
      [name('analytics-worker'), tool('calculate')],
      [name('auth-worker'), tool('auth')],
      [name('knowledge-worker'), tool('lookup')],
      [name('mcp-worker'), echo],
      [name('mcp-worker'), sum],
      [name('retry-worker'), tool('retry')],
    ].sort()
  );
  // The retry stub: a 500, then the runtime retry with the same body: exactly two hits.
  const retryHits = rig.stub.hits('/tool/retry-once').filter((r) => (r.json as { retry_case?: string }).retry_case === retryCase);
  expect(retryHits).toHaveLength(2);
  expect(retryHits[1]!.text).toBe(retryHits[0]!.text);
  expect(rig.stub.hits('/tool/auth').filter((r) => r.headers['x-stub-key'] === STUB_AUTH_KEY).length).toBeGreaterThanOrEqual(1);
  const merged = text(outcome.output);
  expect(merged.toLowerCase()).toMatch(/merged_branches:.*knowledge/);
  for (const branch of ['analytics', 'mcp', 'auth', 'retry']) expect(merged.toLowerCase()).toMatch(new RegExp(`merged_branches:.*${branch}`));
  for (const marker of ['TOP_RESULT=item-7842', 'COMPUTED_RESULT=42', 'mcp-smoke-test-marker', 'AUTH_STATUS=ok', 'ATTEMPT=2']) expect(merged).toContain(marker);

  // Memory: the seed Task stores, the query Task recalls.
  const seed = await runTask(prepared, seedIndex);
  expect(seed.outcome.status).toBe('succeeded');
  expect(text(seed.outcome.output)).toContain('MODE: seed');
  const query = await runTask(prepared, queryIndex);
  expect(query.outcome.status).toBe('succeeded');
  // The ingested runbook ranks first for the question (type vector).
  expect(query.memoryCalls[0]!.result.output.results[0]).toMatchObject({ key: 'runbook/chunk-0000', value: runbook });
  for (const marker of ['MODE: query', 'USED_MEMORY: yes', `RUNBOOK_QUOTE: ${action}`]) expect(text(query.outcome.output)).toContain(marker);
  expect(await storedValue(ns, 'rr-real-kitchen-reuse-store', 'runbook/kitchen_action')).toBe(action);

  // The webhook, then the schedule, each writing its memory.
  const body = JSON.stringify({ event: 'kitchen.webhook', service: 'integration', severity: 'sev2' });
  const hook = await webhookDelivery(prepared, `${ns}/rr-real-kitchen-webhook-ingest`, 'rr-webhook-secret', body);
  expect(hook.outcome.status).toBe('succeeded');
  expect(await storedValue(ns, 'rr-real-kitchen-webhook-memory', `webhook/${hook.eventId}`)).toBe(body);
  const scheduled = await scheduledRun(prepared, `${ns}/rr-real-kitchen-minute-digest`, minuteDigest);
  expect(scheduled.outcome.status).toBe('succeeded');
  expect(await storedValue(ns, 'rr-real-kitchen-schedule-memory', 'schedule/last-run')).toBe('kitchen scheduled digest validation');
}
