/**
 * The Orloj corpus matrix, graph folders: pipelines, hierarchies, loops and swarms, each
 * through the OpenAI-compatible provider against a scripted local model. Also checks that the
 * matrix table covers every folder on disk.
 */
import { expect, it } from 'vitest';
import type { StartRunOptions } from '../../client/orch-client.ts';
import type { Plan } from '../../contract/plan.ts';
import { activityTimeline, inboxOf, modelCallsOf } from '../helpers/history-timeline.ts';
import { corpusRig, prepare, type CorpusRig } from '../helpers/orloj-corpus.ts';
import { defineMatrix, expectMatrixCoversCorpus } from '../helpers/orloj-corpus-matrix.ts';
import { say, type AgentScript, type ModelLog } from '../helpers/scripted-model.ts';

const rig: CorpusRig = corpusRig();

it('the matrix has an expectation for every corpus folder on disk, and for no other', () => {
  expectMatrixCoversCorpus();
});

/** Every model endpoint of the plan is the local OpenAI-compatible one. */
function expectLocalModels(plan: Plan): void {
  const providers = Object.values(plan.models).map((m) => [m.provider, m.baseUrl]);
  expect(providers.length).toBeGreaterThan(0);
  for (const provider of providers) expect(provider).toEqual(['openai-compatible', rig.model.server.url]);
}

async function execute(folder: string, scripts: Record<string, AgentScript> = {}, options: StartRunOptions = {}) {
  const { plans, log } = await prepare(rig, folder, scripts);
  const plan = plans[0]!;
  expectLocalModels(plan);
  const run = await rig.harness.client.start(plan, options);
  const outcome = await run.result();
  const history = await run.handle.fetchHistory();
  const timeline = activityTimeline(history);
  return { plan, log, run, outcome, history, timeline, modelAgents: timeline.filter((c) => c.type === 'callModel').map((c) => c.agent) };
}

/** Each completed model call was answered by the scripted model, and by no other. */
function expectServed(log: ModelLog, timeline: ReturnType<typeof activityTimeline>): void {
  const completed = timeline.filter((c) => c.type === 'callModel' && c.outcome === 'completed');
  expect(log.turns.map((t) => t.agent).sort()).toEqual(completed.map((c) => c.agent).sort());
}

async function pipeline(folder: string, agents: string[], final?: string) {
  const writer = agents.at(-1)!;
  const { log, outcome, timeline, modelAgents } = await execute(folder, final ? { [writer]: () => say(final) } : {});
  expect(outcome.status).toBe('succeeded');
  expect(modelAgents).toEqual(agents);
  expectServed(log, timeline);
  // Strictly in order, each fed the previous one's output.
  for (let i = 1; i < agents.length; i++) {
    expect(timeline[i]!.scheduledId).toBeGreaterThan(timeline[i - 1]!.closedId!);
    expect(inboxOf(timeline[i]!)).toContain(`Output of ${agents[i - 1]}:\n${agents[i - 1]}: done`);
  }
  expect(outcome.output).toBe(final ?? `${writer}: done`);
  return { outcome, log };
}

async function hierarchy(folder: string, name: (role: string) => string, final?: string) {
  const editor = name('editor');
  const { log, outcome, timeline } = await execute(folder, final ? { [editor]: () => say(final) } : {});
  expect(outcome.status).toBe('succeeded');
  expectServed(log, timeline);
  const counts: Record<string, number> = {};
  for (const a of outcome.activations) counts[a.agent] = (counts[a.agent] ?? 0) + 1;
  expect(counts).toEqual(Object.fromEntries(['manager', 'research-lead', 'social-lead', 'research-worker', 'social-worker', 'editor'].map((r) => [name(r), 1])));
  const [editorCall] = modelCallsOf(timeline, editor);
  for (const worker of [name('research-worker'), name('social-worker')]) {
    expect(editorCall!.scheduledId).toBeGreaterThan(modelCallsOf(timeline, worker)[0]!.closedId!);
    expect(inboxOf(editorCall!)).toContain(`Output of ${worker}:\n${worker}: done`);
  }
  expect(outcome.activations.find((a) => a.agent === editor)!.from.sort()).toEqual([name('research-worker'), name('social-worker')]);
  expect(outcome.output).toBe(final ?? `${editor}: done`);
  return outcome;
}

async function loop(folder: string, manager: string, research: string, turns: number, scripts: Record<string, AgentScript> = {}) {
  const { plan, log, outcome, timeline, modelAgents } = await execute(folder, scripts);
  expect(plan.maxTurns).toBe(turns);
  expect(outcome.status).toBe('succeeded');
  expectServed(log, timeline);
  expect(modelAgents).toEqual(Array.from({ length: turns }, (_, i) => (i % 2 === 0 ? manager : research)));
  expect(outcome.activations.map((a) => a.turn)).toEqual(Array.from({ length: turns }, (_, i) => i + 1));
  expect(outcome.activations.at(-1)!.turnLimitReached).toBe(true);
  expect(outcome.turnLimitReached).toBe(true);
  return outcome;
}

async function swarm(folder: string, name: (role: string) => string) {
  const { plan, log, outcome, timeline } = await execute(folder);
  expect(plan.maxTurns).toBe(4);
  expect(outcome.status).toBe('succeeded');
  expectServed(log, timeline);
  // The coordinator at turns 1 and 3 (joining all three scouts); scouts and synthesizer at 2 and 4.
  const turns = (role: string) => outcome.activations.filter((a) => a.agent === name(role)).map((a) => a.turn);
  expect(turns('coordinator')).toEqual([1, 3]);
  for (const role of ['scout-alpha', 'scout-beta', 'scout-gamma', 'synthesizer']) expect(turns(role)).toEqual([2, 4]);
  const scouts = ['scout-alpha', 'scout-beta', 'scout-gamma'].map(name);
  expect(outcome.activations.filter((a) => a.agent === name('coordinator'))[1]!.from.sort()).toEqual(scouts);
  expect(outcome.turnLimitReached).toBe(true);
}

const rt = (role: string) => `rt-hier-${role}-agent`;

defineMatrix('graphs', {
  'testing/scenarios/01-pipeline': () => pipeline('testing/scenarios/01-pipeline', ['planner', 'research', 'writer'].map((r) => `rt-pipeline-${r}-agent`)).then(() => {}),
  'testing/scenarios/02-hierarchical': () => hierarchy('testing/scenarios/02-hierarchical', rt).then(() => {}),
  'testing/scenarios/03-loop-max-turns': () => loop('testing/scenarios/03-loop-max-turns', 'rt-loop-manager-agent', 'rt-loop-research-agent', 6).then(() => {}),

  'testing/scenarios-real/01-pipeline': async () => {
    const { outcome, log } = await pipeline(
      'testing/scenarios-real/01-pipeline',
      ['planner', 'research', 'writer'].map((r) => `rr-real-pipeline-${r}-agent`),
      'RECOMMENDATION: launch to support teams first\nNEXT_ACTIONS: pilot, measure, expand'
    );
    expect(outcome.usage.total.modelCalls).toBeGreaterThanOrEqual(3);
    // The endpoint's Orloj option, a string, reached the OpenAI-compatible request as a number.
    expect(log.turns.map((t) => t.request.body.max_tokens)).toEqual([1024, 1024, 1024]);
    expect(String(outcome.output)).toContain('RECOMMENDATION:');
    expect(String(outcome.output)).toContain('NEXT_ACTIONS:');
  },

  'testing/scenarios-real/02-hierarchical': async () => {
    const outcome = await hierarchy('testing/scenarios-real/02-hierarchical', (r) => `rr-real-hier-${r}-agent`, 'MERGED_BRANCHES: research,social\nFINAL_ACTIONS: ship');
    expect(String(outcome.output)).toContain('MERGED_BRANCHES: research,social');
    expect(String(outcome.output)).toContain('FINAL_ACTIONS:');
  },

  'testing/scenarios-real/03-loop-max-turns': async () => {
    const research = 'rr-real-loop-research-agent';
    let round = 0;
    const outcome = await loop('testing/scenarios-real/03-loop-max-turns', 'rr-real-loop-manager-agent', research, 8, {
      [research]: () => say(`LOOP_STATE: round ${++round}`),
    });
    expect(outcome.activations.length).toBeGreaterThanOrEqual(4);
    expect(String(outcome.output)).toMatch(/^LOOP_STATE: round 4$/);
  },

  'examples/blueprints/pipeline': () => pipeline('examples/blueprints/pipeline', ['planner', 'research', 'writer'].map((r) => `bp-pipeline-${r}-agent`)).then(() => {}),
  'examples/blueprints/hierarchical': () => hierarchy('examples/blueprints/hierarchical', (r) => `bp-hier-${r}-agent`).then(() => {}),
  'examples/blueprints/swarm-loop': () => swarm('examples/blueprints/swarm-loop', (r) => `bp-swarm-${r}-agent`),
  'examples/use-cases/cross-functional-pmo': () => hierarchy('examples/use-cases/cross-functional-pmo', (r) => `uc-pmo-${r}-agent`).then(() => {}),
  'examples/use-cases/roadmap-synthesis-swarm': () => swarm('examples/use-cases/roadmap-synthesis-swarm', (r) => `uc-roadmap-${r}-agent`),
});
