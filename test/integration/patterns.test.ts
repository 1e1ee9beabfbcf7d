/**
 * Orchestration patterns end to end on a real Temporal dev server: the Orloj corpus's
 * blueprints and mock-model scenarios, then orch's own graphs for quorum joins, on_failure,
 * conditional loops, default edges, parallel delegation, foreach and continue-as-new.
 *
 * Assertions read the workflow history (which calls ran, in what order, what each received,
 * when each was scheduled and closed) and the run's result fields, never model prose. The
 * runs whose histories matter most also replay against the current workflow code.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OrchRun, type RunOutcome, type StartRunOptions } from '../../client/orch-client.ts';
import type { Plan } from '../../contract/plan.ts';
import type { RunFailureDetails, RunResult } from '../../contract/run-io.ts';
import { workflowBundle } from '../../worker/index.ts';
import { fixture } from '../compiler/helpers.ts';
import { eventTypes } from '../helpers/history.ts';
import {
  activityTimeline,
  childTimeline,
  eventName,
  inboxOf,
  modelCallsOf,
  timerDurations,
  type ActivityTiming,
} from '../helpers/history-timeline.ts';
import { lastUserMessage, startOpenAICompatibleServer, type OpenAICompatibleServer, type RecordedRequest, type ScriptedReply } from '../helpers/openai-compatible-server.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { compileOk, CORPUS, mockEndpoint, writeOverride, type ScriptedStep } from '../helpers/scenario-overrides.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => harness?.stop());

// ---------------------------------------------------------------------------------------
// Helpers

type History = Awaited<ReturnType<OrchRun['handle']['fetchHistory']>>;

interface Finished {
  run: OrchRun;
  outcome: RunOutcome;
  history: History;
  timeline: ActivityTiming[];
}

async function execute(plan: Plan, options: StartRunOptions = {}): Promise<Finished> {
  const run = await harness.client.start(plan, options);
  const outcome = await run.result();
  const history = await run.handle.fetchHistory();
  return { run, outcome, history, timeline: activityTimeline(history) };
}

/** The history replays against the current workflow code (throws on nondeterminism). */
async function expectReplays(history: History, workflowId: string): Promise<void> {
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
}

/** Compiles a corpus directory with Orloj's harness endpoint `openai-default` replaced by a scripted mock. */
async function corpusPlan(relative: string, responses: Record<string, ScriptedStep[]> = {}): Promise<Plan> {
  const override = writeOverride([mockEndpoint('default', 'openai-default', responses)]);
  const plan = await compileOk([`${CORPUS}/${relative}`, fixture('mock-openai-default')], { overrides: [override] });
  return plan!;
}

type Doc = Record<string, unknown>;
const resource = (kind: string, name: string, spec: Doc): Doc => ({ apiVersion: 'orch/v1', kind, metadata: { name }, spec });
const scripted = (responses: Record<string, ScriptedStep[]> = {}): Doc =>
  resource('ModelEndpoint', 'scripted', { provider: 'mock', default_model: 'mock-1', mock: { responses } });
const localModel = (server: OpenAICompatibleServer): Doc =>
  resource('ModelEndpoint', 'local-llm', { provider: 'openai-compatible', base_url: server.url, default_model: 'local-1' });
const agentDoc = (name: string, spec: Doc = {}): Doc => resource('Agent', name, { model_ref: 'scripted', prompt: `You are ${name}.`, ...spec });
const systemDoc = (name: string, agents: string[], graph: Doc): Doc => resource('AgentSystem', name, { agents, graph });
const taskDoc = (system: string, spec: Doc = {}): Doc => resource('Task', `${system}-task`, { system, input: { topic: 'durable agents' }, ...spec });

async function bundlePlan(docs: Doc[]): Promise<Plan> {
  const plan = await compileOk([writeOverride(docs)]);
  return plan!;
}

function countByAgent(outcome: RunOutcome): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of outcome.activations) counts[a.agent] = (counts[a.agent] ?? 0) + 1;
  return counts;
}

/** A local openai-compatible model that answers by agent (the system prompt says `You are <agent>.`). */
async function localServer(byAgent: Record<string, (request: RecordedRequest) => ScriptedReply>): Promise<OpenAICompatibleServer> {
  return startOpenAICompatibleServer({
    respond: (request) => {
      const system = String(request.body?.messages?.[0]?.content ?? '');
      const agent = system.match(/^You are ([\w-]+)\./)?.[1] ?? '';
      const reply = byAgent[agent];
      if (!reply) throw new Error(`no scripted reply for agent "${agent}"`);
      return reply(request);
    },
  });
}

const agentOf = (calls: readonly ActivityTiming[]) => calls.filter((c) => c.type === 'callModel').map((c) => c.agent);

// Runs are independent and mostly wait (model latencies, backoff timers, the dev server's
// ~1 s timer resolution), so they run concurrently; the long loop and the retries start first.
describe.concurrent('orchestration patterns', () => {
  // ---------------------------------------------------------------------------------------
  // Continue-as-new in a long loop

  describe('long runs', () => {
    const TURNS = 300;

    it(`a ${TURNS}-turn ping/pong loop continues as new and finishes with every activation`, async () => {
      const plan = await bundlePlan([
        scripted(),
        agentDoc('ping'),
        agentDoc('pong'),
        systemDoc('ping-pong', ['ping', 'pong'], { ping: { next: 'pong' }, pong: { next: 'ping' } }),
        taskDoc('ping-pong', { max_turns: TURNS }),
      ]);
      const started = Date.now();
      const run = await harness.client.start(plan, { continueAsNewAfterEvents: 400 });
      const outcome = await run.result();
      const elapsed = Date.now() - started;
      expect(outcome.status).toBe('succeeded');
      expect(outcome.activations).toHaveLength(TURNS);
      expect(outcome.activations.map((a) => a.turn)).toEqual(Array.from({ length: TURNS }, (_, i) => i + 1));
      expect(outcome.activations.map((a) => a.agent)).toEqual(Array.from({ length: TURNS }, (_, i) => (i % 2 === 0 ? 'ping' : 'pong')));
      expect(outcome.activations.at(-1)!.turnLimitReached).toBe(true);
      expect(outcome.usage.total.modelCalls).toBe(TURNS);
      expect(outcome.executions).toBeGreaterThan(1);

      const first = await harness.client.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      expect(eventTypes(first).at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
      // Each execution stays near the bound: it stops at the first quiet point past 400 events.
      expect(first.events!.length).toBeLessThan(450);
      await expectReplays(first, run.workflowId);
      console.log(`continue-as-new: ${TURNS} activations in ${outcome.executions} executions, ${elapsed} ms (${(elapsed / TURNS).toFixed(1)} ms per activation)`);
    }, 120_000);
  });

  // ---------------------------------------------------------------------------------------
  // The Orloj corpus with the mock model

  describe('Orloj blueprints', () => {
    it('pipeline: planner, research, writer in that order, each fed its upstream', async () => {
      const plan = await corpusPlan('examples/blueprints/pipeline');
      expect(plan.task?.name).toBe('bp-pipeline-task');
      const { outcome, timeline } = await execute(plan);
      expect(outcome.status).toBe('succeeded');
      const [planner, research, writer] = ['planner', 'research', 'writer'].map((s) => `bp-pipeline-${s}-agent`);
      expect(agentOf(timeline)).toEqual([planner, research, writer]);
      // Strictly one after the other: each is scheduled after the previous one completed.
      expect(timeline[1]!.scheduledId).toBeGreaterThan(timeline[0]!.closedId!);
      expect(timeline[2]!.scheduledId).toBeGreaterThan(timeline[1]!.closedId!);
      expect(inboxOf(timeline[1]!)).toContain(`Output of ${planner}:\n${timeline[0]!.result.text}`);
      expect(inboxOf(timeline[2]!)).toContain(`Output of ${research}:\n${timeline[1]!.result.text}`);
      expect(outcome.output).toBe(timeline[2]!.result.text);
    });

    it('hierarchical: leads in parallel, workers, the editor once after both worker branches (wait_for_all)', async () => {
      const name = (s: string) => `bp-hier-${s}-agent`;
      const plan = await corpusPlan('examples/blueprints/hierarchical', {
        // A latency on the leads makes their model calls visibly overlap.
        [name('research-lead')]: [{ latency: '300ms' }],
        [name('social-lead')]: [{ latency: '300ms' }],
      });
      const { run, outcome, history, timeline } = await execute(plan);
      expect(outcome.status).toBe('succeeded');
      expect(countByAgent(outcome)).toEqual({
        [name('manager')]: 1,
        [name('research-lead')]: 1,
        [name('social-lead')]: 1,
        [name('research-worker')]: 1,
        [name('social-worker')]: 1,
        [name('editor')]: 1,
      });

      const only = (agent: string) => {
        const calls = modelCallsOf(timeline, name(agent));
        expect(calls).toHaveLength(1);
        return calls[0]!;
      };
      const manager = only('manager');
      const [researchLead, socialLead] = [only('research-lead'), only('social-lead')];
      for (const lead of [researchLead, socialLead]) expect(lead.scheduledId).toBeGreaterThan(manager.closedId!);
      // Parallel: each lead was scheduled before the other completed, in event order and in time.
      expect(socialLead.scheduledId).toBeLessThan(researchLead.closedId!);
      expect(researchLead.scheduledId).toBeLessThan(socialLead.closedId!);
      expect(socialLead.scheduledAt).toBeLessThan(researchLead.closedAt!);
      expect(researchLead.scheduledAt).toBeLessThan(socialLead.closedAt!);

      const [researchWorker, socialWorker] = [only('research-worker'), only('social-worker')];
      expect(researchWorker.scheduledId).toBeGreaterThan(researchLead.closedId!);
      expect(socialWorker.scheduledId).toBeGreaterThan(socialLead.closedId!);
      const editor = only('editor');
      expect(editor.scheduledId).toBeGreaterThan(Math.max(researchWorker.closedId!, socialWorker.closedId!));
      expect(editor.scheduledAt).toBeGreaterThanOrEqual(Math.max(researchWorker.closedAt!, socialWorker.closedAt!));
      expect(inboxOf(editor)).toContain(`Output of ${name('research-worker')}:\n${researchWorker.result.text}`);
      expect(inboxOf(editor)).toContain(`Output of ${name('social-worker')}:\n${socialWorker.result.text}`);
      const editorRecord = outcome.activations.find((a) => a.agent === name('editor'))!;
      expect([...editorRecord.from].sort()).toEqual([name('research-worker'), name('social-worker')]);
      expect(outcome.output).toBe(editor.result.text);

      await expectReplays(history, run.workflowId);
    });

    it('swarm-loop: the coordinator/scouts cycle stops at max_turns 4 and the run succeeds', async () => {
      const name = (s: string) => `bp-swarm-${s}-agent`;
      const plan = await corpusPlan('examples/blueprints/swarm-loop');
      expect(plan.maxTurns).toBe(4);
      const { run, outcome, history, timeline } = await execute(plan);
      expect(outcome.status).toBe('succeeded');
      /*
       * Every agent has an incoming edge, so the entry is the first listed: the coordinator.
       * The depth-first walk from it makes scout → coordinator the back edges; the coordinator
       * has no forward predecessors and a back join over the three scouts (wait_for_all).
       *   turn 1: coordinator#1 → all four edges fire
       *   turn 2: alpha#1, beta#1, gamma#1 (each reports to the back join), synthesizer#1 (a leaf)
       *   turn 3: coordinator#2, once all three scouts arrived (turn = max arrival turn + 1)
       *   turn 4: alpha#2, beta#2, gamma#2, synthesizer#2: the turn limit; those branches end
       *           there (nothing handed on), so the coordinator's back join round goes dead.
       * So every agent runs exactly twice: 10 activations, 10 model calls.
       */
      const expected = { coordinator: 2, 'scout-alpha': 2, 'scout-beta': 2, 'scout-gamma': 2, synthesizer: 2 };
      expect(countByAgent(outcome)).toEqual(Object.fromEntries(Object.entries(expected).map(([k, v]) => [name(k), v])));
      expect(timeline.filter((c) => c.type === 'callModel')).toHaveLength(10);
      // RunOutcome does not carry turnLimitReached; the workflow's RunResult does.
      expect(((await run.handle.result()) as RunResult).turnLimitReached).toBe(true);

      const turns = (agent: string) => outcome.activations.filter((a) => a.agent === name(agent)).map((a) => a.turn);
      expect(turns('coordinator')).toEqual([1, 3]);
      for (const agent of ['scout-alpha', 'scout-beta', 'scout-gamma', 'synthesizer']) expect(turns(agent)).toEqual([2, 4]);
      const limited = outcome.activations.filter((a) => a.turnLimitReached).map((a) => a.agent).sort();
      expect(limited).toEqual(['scout-alpha', 'scout-beta', 'scout-gamma', 'synthesizer'].map(name));

      // The coordinator's second activation joined all three scouts' first ones.
      const scouts = ['scout-alpha', 'scout-beta', 'scout-gamma'].map(name);
      const second = modelCallsOf(timeline, name('coordinator'))[1]!;
      for (const scout of scouts) expect(second.scheduledId).toBeGreaterThan(modelCallsOf(timeline, scout)[0]!.closedId!);
      const coordinator2 = outcome.activations.filter((a) => a.agent === name('coordinator'))[1]!;
      expect([...coordinator2.from].sort()).toEqual(scouts);
      // Several branches ended: the output is keyed by the agents that ended them.
      expect(Object.keys(outcome.output as object).sort()).toEqual([...scouts, name('synthesizer')].sort());

      await expectReplays(history, run.workflowId);
    });
  });

  describe('Orloj mock-model scenarios', () => {
    it('01-pipeline: succeeds; planner, research, writer in that order', async () => {
      const { outcome, timeline } = await execute(await corpusPlan('testing/scenarios/01-pipeline'));
      expect(outcome.status).toBe('succeeded');
      expect(agentOf(timeline)).toEqual(['rt-pipeline-planner-agent', 'rt-pipeline-research-agent', 'rt-pipeline-writer-agent']);
      expect(outcome.output).toBe(timeline[2]!.result.text);
    });

    it('02-hierarchical: succeeds; the editor runs once, only after both worker branches finished', async () => {
      const name = (s: string) => `rt-hier-${s}-agent`;
      const { outcome, timeline } = await execute(await corpusPlan('testing/scenarios/02-hierarchical'));
      expect(outcome.status).toBe('succeeded');
      const editor = modelCallsOf(timeline, name('editor'));
      expect(editor).toHaveLength(1);
      const workers = [name('research-worker'), name('social-worker')].map((agent) => modelCallsOf(timeline, agent));
      for (const calls of workers) {
        expect(calls).toHaveLength(1);
        expect(editor[0]!.scheduledId).toBeGreaterThan(calls[0]!.closedId!);
      }
      expect(timeline.filter((c) => c.type === 'callModel')).toHaveLength(6);
    });

    it('03-loop-max-turns: the manager/research cycle stops at max_turns 6 and the run succeeds', async () => {
      const plan = await corpusPlan('testing/scenarios/03-loop-max-turns');
      expect(plan.maxTurns).toBe(6);
      const { outcome, timeline } = await execute(plan);
      expect(outcome.status).toBe('succeeded');
      // manager turns 1, 3, 5; research 2, 4, 6, where the branch reaches the limit and ends.
      const manager = 'rt-loop-manager-agent';
      const research = 'rt-loop-research-agent';
      expect(agentOf(timeline)).toEqual([manager, research, manager, research, manager, research]);
      expect(outcome.activations.map((a) => a.turn)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(outcome.activations.map((a) => a.turnLimitReached)).toEqual([false, false, false, false, false, true]);
      expect(outcome.output).toBe(timeline[5]!.result.text);
    });

    it('05-retry-deadletter: message_retry 2 × Task.retry 4 attempts, then dead-lettered with AGENT_TIMEOUT', async () => {
      const agent = 'rt-retry-timeout-agent';
      // limits.timeout is 1ms; a long model latency makes sure the timer, not the call, wins (the
      // dev server fires sub-second timers about a second late).
      const { outcome, history, timeline } = await execute(await corpusPlan('testing/scenarios/05-retry-deadletter', { [agent]: [{ latency: '3s' }] }));
      expect(outcome.status).toBe('failed');
      expect(outcome.failure).toMatchObject({ type: 'AGENT_TIMEOUT', agent, deadLettered: true });
      expect(outcome.runAttempts).toBe(4);
      expect(outcome.activations).toEqual([]);
      // Two activation attempts per run attempt, four run attempts: eight model calls, each
      // cancelled by the activation's timeout.
      expect(modelCallsOf(timeline, agent)).toHaveLength(8);
      expect(eventTypes(history).filter((t) => t === 'EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED')).toHaveLength(8);
      // The run's own retries wait Task.retry's backoff, doubling: 800ms, 1.6s, 3.2s.
      expect(timerDurations(history).filter((ms) => ms >= 800)).toEqual([800, 1600, 3200]);
      // The workflow's failure carries the same facts for any client, in its details.
      const failed = history.events!.find((e) => eventName(e) === 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED')!;
      const info = failed.workflowExecutionFailedEventAttributes!.failure!.applicationFailureInfo!;
      expect(info.type).toBe('AGENT_TIMEOUT');
      const details = defaultPayloadConverter.fromPayload(info.details!.payloads![0]! as Payload) as RunFailureDetails;
      expect(details).toMatchObject({ agent, deadLettered: true, runAttempts: 4 });
    });
  });

  // ---------------------------------------------------------------------------------------
  // Quorum with a slow branch

  describe('joins', () => {
    it('quorum 2 of 3: d runs once from b and c before slow completes; slow is a late arrival', async () => {
      const plan = await bundlePlan([
        scripted({ slow: [{ latency: '2s' }] }),
        ...['a', 'b', 'c', 'slow', 'd'].map((n) => agentDoc(n)),
        systemDoc('quorum-join', ['a', 'b', 'c', 'slow', 'd'], {
          a: { edges: [{ to: 'b' }, { to: 'c' }, { to: 'slow' }] },
          b: { next: 'd' },
          c: { next: 'd' },
          slow: { next: 'd' },
          d: { join: { mode: 'quorum', quorum_count: 2 } },
        }),
      ]);
      const { run, outcome, history, timeline } = await execute(plan);
      expect(outcome.status).toBe('succeeded');
      const d = modelCallsOf(timeline, 'd');
      const slow = modelCallsOf(timeline, 'slow')[0]!;
      expect(d).toHaveLength(1);
      expect(d[0]!.scheduledId).toBeLessThan(slow.closedId!);
      expect(d[0]!.closedId!).toBeLessThan(slow.closedId!);
      for (const branch of ['b', 'c']) expect(d[0]!.scheduledId).toBeGreaterThan(modelCallsOf(timeline, branch)[0]!.closedId!);
      expect(inboxOf(d[0]!)).not.toContain('Output of slow');
      const record = outcome.activations.find((a) => a.agent === 'd')!;
      expect([...record.from].sort()).toEqual(['b', 'c']);
      expect(outcome.lateArrivals).toEqual([{ agent: 'd', from: 'slow', outcome: 'arrived' }]);
      expect(outcome.output).toBe(d[0]!.result.text);

      await expectReplays(history, run.workflowId);
    });

    // on_failure: `broken` times out (AGENT_TIMEOUT is retryable, so on_failure may tolerate it).
    const onFailurePlan = (onFailure: string | undefined) =>
      bundlePlan([
        scripted({ broken: [{ latency: '3s' }] }),
        agentDoc('a'),
        agentDoc('ok'),
        agentDoc('broken', { limits: { timeout: '1ms' } }),
        agentDoc('joiner'),
        systemDoc(`on-failure-${onFailure ?? 'default'}`, ['a', 'ok', 'broken', 'joiner'], {
          a: { edges: [{ to: 'ok' }, { to: 'broken' }] },
          ok: { next: 'joiner' },
          broken: { next: 'joiner' },
          ...(onFailure ? { joiner: { join: { on_failure: onFailure } } } : {}),
        }),
        taskDoc(`on-failure-${onFailure ?? 'default'}`, { retry: { max_attempts: 1 }, message_retry: { max_attempts: 1 } }),
      ]);

    it('on_failure deadletter (default): the failed branch fails the run, naming it', async () => {
      const { outcome, timeline } = await execute(await onFailurePlan(undefined));
      expect(outcome.status).toBe('failed');
      expect(outcome.failure).toMatchObject({ type: 'AGENT_TIMEOUT', agent: 'broken' });
      expect(modelCallsOf(timeline, 'joiner')).toHaveLength(0);
    });

    it('on_failure skip: the join runs from ok only, not marked partial', async () => {
      const { outcome, timeline } = await execute(await onFailurePlan('skip'));
      expect(outcome.status).toBe('succeeded');
      const joiner = modelCallsOf(timeline, 'joiner');
      expect(joiner).toHaveLength(1);
      const record = outcome.activations.find((a) => a.agent === 'joiner')!;
      expect(record.from).toEqual(['ok']);
      expect(record.partialFrom).toBeUndefined();
      expect(inboxOf(joiner[0]!)).toContain('Output of ok:');
      expect(inboxOf(joiner[0]!)).not.toContain('Output of broken');
      expect(inboxOf(joiner[0]!)).not.toContain('Partial input');
      expect(outcome.output).toBe(joiner[0]!.result.text);
    });

    it('on_failure continue_partial: the join runs from ok, marked partialFrom broken, and its inbox says so', async () => {
      const { outcome, timeline } = await execute(await onFailurePlan('continue_partial'));
      expect(outcome.status).toBe('succeeded');
      const joiner = modelCallsOf(timeline, 'joiner');
      expect(joiner).toHaveLength(1);
      const record = outcome.activations.find((a) => a.agent === 'joiner')!;
      expect(record.from).toEqual(['ok']);
      expect(record.partialFrom).toEqual(['broken']);
      expect(inboxOf(joiner[0]!)).toContain('Output of ok:');
      expect(inboxOf(joiner[0]!)).toContain('Partial input: broken failed and sent nothing.');
    });
  });

  // ---------------------------------------------------------------------------------------
  // Conditions

  describe('conditional edges', () => {
    it('a conditional loop: the critic asks for revisions twice, then approves; the publisher runs once', async () => {
      // A mock script is per model call of one activation; the critic's answer must depend on how
      // often it was asked, so it runs on a local openai-compatible model that counts.
      let criticRequests = 0;
      const server = await localServer({
        critic: () => {
          criticRequests += 1;
          return { text: criticRequests <= 2 ? `REVISION_NEEDED: round ${criticRequests}` : 'APPROVED: ship it' };
        },
      });
      try {
        const plan = await bundlePlan([
          scripted(),
          localModel(server),
          agentDoc('writer'),
          agentDoc('critic', { model_ref: 'local-llm' }),
          agentDoc('publisher'),
          systemDoc('revision-loop', ['writer', 'critic', 'publisher'], {
            writer: { next: 'critic' },
            critic: {
              edges: [
                { to: 'writer', condition: { output_contains: 'REVISION_NEEDED' } },
                { to: 'publisher', condition: { output_contains: 'APPROVED' } },
              ],
            },
          }),
        ]);
        const { run, outcome, timeline } = await execute(plan);
        expect(outcome.status).toBe('succeeded');
        expect(agentOf(timeline)).toEqual(['writer', 'critic', 'writer', 'critic', 'writer', 'critic', 'publisher']);
        expect(countByAgent(outcome)).toEqual({ writer: 3, critic: 3, publisher: 1 });
        expect(server.requests).toHaveLength(3);
        const writers = modelCallsOf(timeline, 'writer');
        expect(inboxOf(writers[1]!)).toContain('Output of critic:\nREVISION_NEEDED: round 1');
        expect(inboxOf(writers[2]!)).toContain('Output of critic:\nREVISION_NEEDED: round 2');
        expect(inboxOf(modelCallsOf(timeline, 'publisher')[0]!)).toContain('Output of critic:\nAPPROVED: ship it');
        expect(outcome.output).toBe(modelCallsOf(timeline, 'publisher')[0]!.result.text);
        expect(((await run.handle.result()) as RunResult).turnLimitReached).toBe(false);
      } finally {
        await server.close();
      }
    });

    const routerPlan = (routerSays: string) =>
      bundlePlan([
        scripted({ router: [{ text: routerSays }] }),
        agentDoc('router'),
        agentDoc('special'),
        agentDoc('fallback'),
        systemDoc('routing', ['router', 'special', 'fallback'], {
          router: {
            edges: [
              { to: 'special', condition: { output_contains: 'ESCALATE' } },
              { to: 'fallback', condition: { default: true } },
            ],
          },
        }),
      ]);

    it('the default edge fires only when no other condition matched: both ways', async () => {
      const [matched, unmatched] = await Promise.all([execute(await routerPlan('ESCALATE: outage')), execute(await routerPlan('routine question'))]);
      expect(matched.outcome.status).toBe('succeeded');
      expect(agentOf(matched.timeline)).toEqual(['router', 'special']);
      expect(matched.outcome.output).toBe(modelCallsOf(matched.timeline, 'special')[0]!.result.text);

      expect(unmatched.outcome.status).toBe('succeeded');
      expect(agentOf(unmatched.timeline)).toEqual(['router', 'fallback']);
      expect(unmatched.outcome.output).toBe(modelCallsOf(unmatched.timeline, 'fallback')[0]!.result.text);
    });
  });

  // ---------------------------------------------------------------------------------------
  // Supervisor delegating to two agents at once

  describe('supervisor delegation', () => {
    it('delegates to two agents at once as child workflows; the answer carries both outputs', async () => {
      const plan = await bundlePlan([
        scripted({
          supervisor: [
            {
              tool_calls: [
                { tool: 'delegate--researcher', input: { task: 'find three sources on durable execution' } },
                { tool: 'delegate--analyst', input: { task: 'estimate what retries cost' } },
              ],
            },
          ],
          // Latency on the delegates: their child runs overlap in time.
          researcher: [{ latency: '300ms' }],
          analyst: [{ latency: '300ms' }],
        }),
        agentDoc('supervisor'),
        agentDoc('researcher'),
        agentDoc('analyst'),
        systemDoc('supervised', ['supervisor', 'researcher', 'analyst'], { supervisor: { delegates: ['researcher', 'analyst'] } }),
      ]);
      expect(plan.entryAgents).toEqual(['supervisor']);
      const { run, outcome, history, timeline } = await execute(plan);
      expect(outcome.status).toBe('succeeded');

      const children = childTimeline(history);
      expect(children.map((c) => c.workflowType)).toEqual(['orchDelegate', 'orchDelegate']);
      expect(children.map((c) => c.outcome)).toEqual(['completed', 'completed']);
      const firstClosed = Math.min(...children.map((c) => c.closedId!));
      for (const child of children) expect(child.initiatedId).toBeLessThan(firstClosed);
      const researcherChild = children.find((c) => c.workflowId.includes('/researcher-'))!;
      const analystChild = children.find((c) => c.workflowId.includes('/analyst-'))!;
      expect(researcherChild.result.output).toContain('find three sources on durable execution');
      expect(analystChild.result.output).toContain('estimate what retries cost');

      // The supervisor's second model call got both answers as tool results, in the order asked.
      const supervisorCalls = modelCallsOf(timeline, 'supervisor');
      expect(supervisorCalls).toHaveLength(2);
      const toolMessages = supervisorCalls[1]!.input.messages.filter((m: { role: string }) => m.role === 'tool');
      expect(toolMessages).toMatchObject([
        { toolName: 'delegate--researcher', isError: false, output: researcherChild.result.output },
        { toolName: 'delegate--analyst', isError: false, output: analystChild.result.output },
      ]);
      expect(outcome.output).toContain(researcherChild.result.output);
      expect(outcome.output).toContain(analystChild.result.output);

      // The children's usage is merged into the run's ledger.
      expect(outcome.usage.byAgent.researcher?.modelCalls).toBe(1);
      expect(outcome.usage.byAgent.analyst?.modelCalls).toBe(1);
      expect(outcome.usage.byAgent.supervisor?.modelCalls).toBe(2);
      expect(outcome.usage.total.modelCalls).toBe(4);

      await expectReplays(history, run.workflowId);
      for (const child of children) {
        const childHistory = await harness.client.client.workflow.getHandle(child.workflowId).fetchHistory();
        expect(modelCallsOf(activityTimeline(childHistory), child === researcherChild ? 'researcher' : 'analyst')).toHaveLength(1);
        await expectReplays(childHistory, child.workflowId);
      }
    });
  });

  // ---------------------------------------------------------------------------------------
  // foreach

  describe('dynamic fan-out', () => {
    it('foreach over 5 elements: one worker activation per element; the merger gets the outputs in element order', async () => {
      const elements = ['a', 'b', 'c', 'd', 'e'];
      // The worker runs on a local model that answers later the earlier its element, so the
      // activations complete in reverse element order and only the interpreter restores it.
      const server = await localServer({
        worker: (request) => {
          const element = lastUserMessage(request).split('\n').at(-1)!;
          return { text: `worker saw ${element}`, delayMs: (elements.length - 1 - elements.indexOf(element)) * 200 };
        },
      });
      try {
        const plan = await bundlePlan([
          scripted({ splitter: [{ text: JSON.stringify({ items: elements }) }] }),
          localModel(server),
          agentDoc('splitter', {
            execution: { output_schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } } } } },
          }),
          agentDoc('worker', { model_ref: 'local-llm' }),
          agentDoc('merger'),
          systemDoc('fan-out', ['splitter', 'worker', 'merger'], {
            splitter: { edges: [{ to: 'worker', foreach: '$.items' }] },
            worker: { next: 'merger' },
          }),
        ]);
        const { run, outcome, history, timeline } = await execute(plan);
        expect(outcome.status).toBe('succeeded');

        const workers = modelCallsOf(timeline, 'worker');
        expect(workers).toHaveLength(5);
        const received = workers.map((call) => {
          const match = inboxOf(call).match(/Output of splitter \(item (\d) of 5\):\n(\w)$/);
          return match ? `${match[1]}:${match[2]}` : inboxOf(call);
        });
        expect([...received].sort()).toEqual(elements.map((e, i) => `${i + 1}:${e}`));
        // They ran in parallel, and finished in reverse element order.
        const lastScheduled = Math.max(...workers.map((w) => w.scheduledId));
        for (const w of workers) expect(w.closedId!).toBeGreaterThan(lastScheduled);
        const completion = [...workers].sort((x, y) => x.closedId! - y.closedId!).map((w) => w.result.text);
        expect(completion).toEqual(elements.map((e) => `worker saw ${e}`).reverse());

        const single = outcome.activations.filter((a) => a.agent === 'worker' && a.stoppedBy !== 'foreach');
        expect(single).toHaveLength(5);
        const combined = outcome.activations.filter((a) => a.agent === 'worker' && a.stoppedBy === 'foreach');
        expect(combined).toHaveLength(1);
        expect(combined[0]!.output).toEqual(elements.map((e) => `worker saw ${e}`));

        const merger = modelCallsOf(timeline, 'merger');
        expect(merger).toHaveLength(1);
        expect(merger[0]!.scheduledId).toBeGreaterThan(Math.max(...workers.map((w) => w.closedId!)));
        expect(inboxOf(merger[0]!)).toContain(`Output of worker:\n${JSON.stringify(elements.map((e) => `worker saw ${e}`), null, 2)}`);
        expect(outcome.output).toBe(merger[0]!.result.text);

        await expectReplays(history, run.workflowId);
      } finally {
        await server.close();
      }
    });
  });
});
