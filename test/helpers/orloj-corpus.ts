/**
 * The Orloj corpus as an end-to-end matrix: its folders, read from disk, and a rig that runs
 * any of them on the shared dev server with local parts in place of hosted ones, as a user
 * would with `--override`: every ModelEndpoint becomes the scripted OpenAI-compatible model,
 * every HTTP tool the local Orloj tool stub (same path), and `npx -y
 * @modelcontextprotocol/server-everything` the installed copy of that server.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { compile, validate } from '../../compiler/index.ts';
import type { Plan } from '../../contract/plan.ts';
import { errorsOf } from '../compiler/helpers.ts';
import { startHarness, type Harness } from './orch-harness.ts';
import { startOrlojToolStub, STUB_AUTH_KEY, type OrlojToolStub } from './orloj-tool-stub.ts';
import { CORPUS, writeOverride } from './scenario-overrides.ts';
import { startScriptedModel, type AgentScript, type ModelLog, type ScriptedModel } from './scripted-model.ts';

/** The corpus folders the matrix covers: every folder directly below these. */
export const CORPUS_ROOTS = ['testing/scenarios', 'testing/scenarios-real', 'examples/blueprints', 'examples/use-cases'] as const;

export function corpusFolders(): string[] {
  return CORPUS_ROOTS.flatMap((root) =>
    readdirSync(join(CORPUS, root))
      .filter((entry) => statSync(join(CORPUS, root, entry)).isDirectory())
      .sort()
      .map((entry) => `${root}/${entry}`)
  );
}

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, any>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

function documents(folder: string): Doc[] {
  return yamlFiles(join(CORPUS, folder)).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((doc) => doc.toJS() as Doc | null)
      .filter((doc): doc is Doc => typeof doc?.kind === 'string')
  );
}

const BIN = resolve('node_modules/.bin');

/** The folder's endpoints, tools and MCP servers, pointed at local parts. */
export function localOverrides(folder: string, parts: { model: string; modelUrl: string; stubUrl: string }): object[] {
  const docs = documents(folder);
  // Provider, URL and model replaced, the key dropped (the local server needs none); the
  // endpoint's own options (Orloj's strings, `max_tokens: "1024"`) kept, as a user's override would.
  const endpoint = (namespace: string | undefined, name: string, options?: unknown) => ({
    apiVersion: 'orloj.dev/v1',
    kind: 'ModelEndpoint',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: { provider: 'openai-compatible', base_url: parts.modelUrl, default_model: parts.model, ...(options ? { options } : {}) },
  });
  const out: object[] = [];
  const defined = new Set<string>();
  for (const doc of docs) {
    if (doc.kind === 'ModelEndpoint') {
      out.push(endpoint(doc.metadata.namespace, doc.metadata.name, doc.spec?.options));
      defined.add(doc.metadata.name);
    } else if (doc.kind === 'Tool' && (doc.spec?.type ?? 'http') === 'http' && typeof doc.spec?.endpoint === 'string') {
      out.push({ ...doc, spec: { ...doc.spec, endpoint: `${parts.stubUrl}${new URL(doc.spec.endpoint).pathname}` } });
    } else if (doc.kind === 'McpServer' && doc.spec?.command === 'npx' && (doc.spec.args ?? []).includes('@modelcontextprotocol/server-everything')) {
      out.push({ ...doc, spec: { ...doc.spec, command: `${BIN}/mcp-server-everything`, args: [] } });
    }
  }
  // Orloj's harness provides `openai-default` for the folders that reference it without defining it.
  const missing = new Set(docs.filter((d) => d.kind === 'Agent' && typeof d.spec?.model_ref === 'string' && !defined.has(d.spec.model_ref)).map((d) => d.spec!.model_ref as string));
  for (const name of missing) out.push(endpoint(undefined, name));
  return out;
}

export interface CorpusRig {
  readonly harness: Harness;
  readonly model: ScriptedModel;
  readonly stub: OrlojToolStub;
}

/** For a test file: one worker, one scripted model, one tool stub, started before its tests. */
export function corpusRig(): CorpusRig {
  const rig = {} as { harness: Harness; model: ScriptedModel; stub: OrlojToolStub };
  beforeAll(async () => {
    [rig.model, rig.stub] = await Promise.all([startScriptedModel(), startOrlojToolStub()]);
    // The Secrets the corpus's authenticated tools use, bound to the stub's auth endpoint.
    const auth = { value: STUB_AUTH_KEY, destinations: `${rig.stub.url}/tool/auth` };
    rig.harness = await startHarness({
      env: {
        ...process.env,
        ORCH_TOOLS_ALLOW_LOOPBACK: 'true',
        ORCH_SECRET_RR_REAL_TOOL_AUTH_KEY: auth.value,
        ORCH_SECRET_RR_REAL_TOOL_AUTH_KEY_DESTINATIONS: auth.destinations,
        ORCH_SECRET_RR_REAL_KITCHEN_TOOL_AUTH_KEY: auth.value,
        ORCH_SECRET_RR_REAL_KITCHEN_TOOL_AUTH_KEY_DESTINATIONS: auth.destinations,
      },
    });
  }, 60_000);
  afterAll(async () => {
    await rig.harness?.stop();
    await Promise.all([rig.model?.close(), rig.stub?.close()]);
  });
  return rig;
}

export interface Prepared {
  /** One plan per requested task, in order. */
  plans: Plan[];
  log: ModelLog;
  /** The override file. */
  override: string;
  /** With `templates`: the folder validated, with its TaskWebhooks, TaskSchedules and Secrets. */
  triggers: Awaited<ReturnType<typeof validate>> | null;
}

/**
 * Compiles a folder for each task (`undefined`: the folder's only runnable Task) with the
 * local overrides, and scripts the model for its agents.
 */
export async function prepare(
  rig: CorpusRig,
  folder: string,
  scripts: Record<string, AgentScript>,
  options: { tasks?: Array<string | undefined>; templates?: boolean; unofferedTools?: string[] } = {}
): Promise<Prepared> {
  const model = rig.model.freshModelName();
  const override = writeOverride(localOverrides(folder, { model, modelUrl: rig.model.server.url, stubUrl: rig.stub.url }));
  const plans: Plan[] = [];
  let triggers: Prepared['triggers'] = null;
  if (options.templates) {
    // Webhook- and schedule-started folders: their plans come with the trigger definitions.
    const validated = await validate([`${CORPUS}/${folder}`], { overrides: [override] });
    expect(errorsOf(validated.diagnostics)).toEqual([]);
    triggers = validated;
    plans.push(...validated.webhooks.map((w) => w.plan), ...validated.schedules.map((s) => s.plan));
  }
  for (const task of options.tasks ?? (options.templates ? [] : [undefined])) {
    const { plan, diagnostics } = await compile([`${CORPUS}/${folder}`], { overrides: [override], ...(task ? { task } : {}) });
    expect(errorsOf(diagnostics)).toEqual([]);
    plans.push(plan!);
  }
  return { plans, log: rig.model.register(model, plans, scripts, options.unofferedTools), override, triggers };
}
