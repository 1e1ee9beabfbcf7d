/**
 * The project `orch init` writes: a two-agent system on a scripted offline mock (runs with no key
 * and no network), an override that points it at OpenAI, and a test that validates and runs it.
 * Each file name maps to its text; `{{name}}` is the project's name.
 */
export const PROJECT_FILES: Record<string, string> = {
  'manifests/system.yaml': `# yaml-language-server: $schema=../node_modules/orch/dist/schema/manifest.json
# The agent system: a researcher hands its findings to a writer.
apiVersion: orch/v1
kind: AgentSystem
metadata:
  name: {{name}}
spec:
  agents: [researcher, writer]
  graph:
    researcher:
      next: writer
---
# What \`orch run manifests\` runs; \`--input topic=…\` replaces the topic.
apiVersion: orch/v1
kind: Task
metadata:
  name: {{name}}-brief
spec:
  system: {{name}}
  input:
    topic: why our team should write things down
`,
  'manifests/agents.yaml': `# yaml-language-server: $schema=../node_modules/orch/dist/schema/manifest.json
apiVersion: orch/v1
kind: Agent
metadata:
  name: researcher
spec:
  model_ref: model
  prompt: |
    You research the topic you are given. Answer with three findings, each with its evidence
    and what remains uncertain.
  limits:
    max_steps: 4
---
apiVersion: orch/v1
kind: Agent
metadata:
  name: writer
spec:
  model_ref: model
  prompt: |
    You write a short brief from the research: a title, three sentences, a recommendation.
  limits:
    max_steps: 2
`,
  'manifests/model.yaml': `# yaml-language-server: $schema=../node_modules/orch/dist/schema/manifest.json
# The model both agents use: the offline mock, scripted with plausible answers
# ({{input.topic}} is the run's topic). For a real model: --override providers/openai.yaml
apiVersion: orch/v1
kind: ModelEndpoint
metadata:
  name: model
spec:
  provider: mock
  default_model: mock-1
  pricing:
    input_per_million: 0.15
    output_per_million: 0.60
  mock:
    latency: 100ms
    responses:
      researcher:
        - text: |-
            Findings on {{input.topic}}
            1. Decisions written down are found again; decisions said aloud are re-argued. Evidence: fewer repeated discussions in teams that keep decision records. Uncertain: how much this depends on the team's size.
            2. Writing forces the reasoning to be complete. Evidence: gaps show up when a plan is written, not when it is discussed. Uncertain: the cost in time for small decisions.
            3. New members get up to speed from what is written. Evidence: onboarding time falls where docs exist. Uncertain: docs go stale without an owner.
      writer:
        - text: |-
            # Brief: {{input.topic}}

            Decisions that are written down are found again instead of argued again. Writing a plan shows its gaps before the work starts. And new people learn from what is written, not from whoever has time.

            **Recommendation:** write a one-page record for every decision that is costly to reverse, and give each document an owner.
`,
  'providers/openai.yaml': `# Points the system at OpenAI. Use it as an override:
#   ORCH_SECRET_OPENAI_API_KEY=sk-… npx orch run manifests --override providers/openai.yaml
apiVersion: orch/v1
kind: ModelEndpoint
metadata:
  name: model
spec:
  provider: openai
  default_model: gpt-4o-mini
  auth:
    secretRef: openai-api-key
  pricing:
    input_per_million: 0.15
    output_per_million: 0.60
`,
  'orch.test.mjs': `// The system validates and runs on the mock: node --test
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const orch = (...args) => execFileSync('npx', ['orch', ...args], { cwd: import.meta.dirname, encoding: 'utf8' });

test('the manifests validate, with the OpenAI override too', () => {
  assert.equal(JSON.parse(orch('validate', 'manifests', '--json')).valid, true);
  assert.equal(JSON.parse(orch('validate', 'manifests', '--override', 'providers/openai.yaml', '--json')).valid, true);
});

test('the system runs end to end on the mock model', () => {
  const outcome = JSON.parse(orch('run', 'manifests', '--json', '--input', 'topic=testing'));
  assert.equal(outcome.status, 'succeeded');
  assert.match(outcome.output, /^# Brief: testing/);
});
`,
  'README.md': `# {{name}}

An orch agent system: a researcher and a writer.

    npx orch run manifests                               # on the offline mock model
    npx orch run manifests --input topic="remote work"   # another topic
    ORCH_SECRET_OPENAI_API_KEY=sk-… npx orch run manifests --override providers/openai.yaml
    node --test                                          # validate and run it

Runs are durable Temporal workflows: \`orch run\` starts a local Temporal dev server the first
time (Web UI at http://127.0.0.1:8233).
`,
};
