/**
 * What an operator sees in the Temporal Web UI, in a real (headless) browser: a dev server of
 * this test's own, with the UI, runs of orch on it, and their pages opened with puppeteer-core
 * in chromium (ORCH_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH; CI installs it).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchClient, type OrchRun } from '../../client/orch-client.ts';
import { installQuietRuntime } from '../../cli/quiet-runtime.ts';
import { ensureTemporalCli, startDevServer, type DevServer } from '../../dev-server/index.ts';
import { createOrchWorker } from '../../worker/index.ts';
import { compileOk, CORPUS, httpTool, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';

/** Screenshots and page dumps go here (ORCH_WEBUI_ARTIFACTS, else the system's temp dir). */
const ARTIFACTS = process.env.ORCH_WEBUI_ARTIFACTS || '/tmp';
const SHOT_PREFIX = process.env.ORCH_WEBUI_SHOT_PREFIX || 'webui';

function chromiumPath(): string {
  const configured = process.env.ORCH_CHROMIUM?.trim();
  if (configured) {
    if (!existsSync(configured)) throw new Error(`ORCH_CHROMIUM=${configured} does not exist`);
    return configured;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'chromium'))) return join(dir, 'chromium');
  }
  throw new Error(
    'the Web UI test needs chromium: set ORCH_CHROMIUM to its executable, or install it (Debian: apt-get install -y --no-install-recommends chromium)'
  );
}

let server: DevServer;
let worker: Worker;
let workerRunning: Promise<void>;
let client: OrchClient;
let browser: Browser;
const taskQueue = `webui-${randomUUID()}`;

beforeAll(async () => {
  // Found first, so a machine without chromium fails here, clearly, before anything starts.
  const executablePath = chromiumPath();
  installQuietRuntime();
  const cli = await ensureTemporalCli({ log: () => {} });
  server = await startDevServer({ cli, port: 0, ui: true, uiPort: 0, dbFile: null, log: () => {}, stopGraceMs: 2000 });
  worker = await createOrchWorker({ address: server.address, taskQueue });
  workerRunning = worker.run();
  client = await OrchClient.connect({ address: server.address, taskQueue });
  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    defaultViewport: { width: 1400, height: 1800 },
  });
});

afterAll(async () => {
  await browser?.close();
  if (worker) {
    worker.shutdown();
    await workerRunning;
  }
  await client?.client.connection.close();
  await server?.stop();
});

/** The run's pages: its event history (the calls' summaries), and its user metadata (summary, details, current details). */
async function openRun(run: OrchRun, name: string, options: { currentDetails?: boolean } = {}): Promise<{ history: Page; metadata: Page }> {
  const description = await run.handle.describe();
  const base = `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(run.workflowId)}/${description.runId}`;
  const open = async (tab: string, ready: (page: Page) => Promise<unknown>): Promise<Page> => {
    const page = await browser.newPage();
    // Not networkidle: the UI keeps polling a running workflow.
    await page.goto(`${base}/${tab}`, { waitUntil: 'domcontentloaded', timeout: 20_000 });
    try {
      await ready(page);
    } finally {
      writeFileSync(join(ARTIFACTS, `${SHOT_PREFIX}-${name}-${tab}.html`), await page.content());
      await page.screenshot({ path: join(ARTIFACTS, `${SHOT_PREFIX}-${name}-${tab}.png`), fullPage: true });
    }
    return page;
  };
  const history = await open('history', (page) => page.waitForFunction(`/Workflow Execution Started/.test(document.body.innerText)`, { timeout: 20_000 }));
  const metadata = await open('user-metadata', async (page) => {
    await markdown(page, 'user-metadata-summary');
    await markdown(page, 'user-metadata-details');
    if (options.currentDetails !== false) await markdown(page, 'user-metadata-current-details');
  });
  return { history, metadata };
}

/** What the UI rendered of one markdown field: it renders each in an iframe of its own (`/render?content=…`). */
interface Rendered {
  text: string;
  items: string[];
  tables: number;
  codeBlocks: string[];
}

/** Waits until the field `id` (an iframe) shows its markdown, and reads it. */
async function markdown(page: Page, id: string): Promise<Rendered> {
  await page.waitForFunction(`/[?&]content=[^&]/.test(document.getElementById(${JSON.stringify(id)})?.getAttribute('src') ?? '')`, { timeout: 20_000 });
  const element = await page.waitForSelector(`#${id}`);
  const frame = await element!.contentFrame();
  await frame.waitForFunction(`(document.querySelector('main')?.innerText ?? '').trim().length > 0`, { timeout: 20_000 });
  // Once laid out: the iframe is sized to its content.
  await page.waitForFunction(`(document.getElementById(${JSON.stringify(id)})?.getBoundingClientRect().height ?? 0) > 0`);
  return (await frame.evaluate(`({
    text: document.querySelector('main').innerText,
    items: [...document.querySelectorAll('main li')].map((li) => li.innerText.trim()),
    tables: document.querySelectorAll('main table').length,
    codeBlocks: [...document.querySelectorAll('main pre')].map((pre) => pre.innerText),
  })`)) as Rendered;
}

/** Waits until the page shows `text`. */
async function shows(page: Page, text: string): Promise<void> {
  await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(text)})`, { timeout: 20_000 });
}

async function pageText(page: Page): Promise<string> {
  return (await page.evaluate('document.body.innerText')) as string;
}

async function pendingApproval(run: OrchRun) {
  for (let i = 0; i < 200; i++) {
    const pending = await run.approvals().catch(() => []);
    if (pending.length > 0) return pending[0]!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no approval was requested');
}

describe('the Temporal Web UI shows an orch run', () => {
  it('a 3-agent pipeline: its summary, one line per agent in the current details, and the calls in the history', async () => {
    const plan = await compileOk(['examples/research-pipeline']);
    const run = await client.start(plan);
    expect((await run.result()).status).toBe('succeeded');
    const { history, metadata } = await openRun(run, 'pipeline');
    try {
      // The call summaries, in the event history's rows.
      await shows(history, 'writer · model mock-1 · step 1');
      const events = await pageText(history);
      // The example's endpoint is priced: each call's summary names the price, its result the cost.
      for (const agent of ['planner', 'researcher', 'writer']) expect(events).toContain(`${agent} · model mock-1 · step 1 · $0.15/$0.6 per 1M tokens in/out`);

      expect((await markdown(metadata, 'user-metadata-summary')).text).toContain('research-pipeline · research-brief');
      // The static details name each agent's price as written, not as math (two dollar signs on a line).
      const plan = await markdown(metadata, 'user-metadata-details');
      expect(plan.items).toEqual(['planner', 'researcher', 'writer'].map((agent) => `${agent} → model mock-1 · $0.15 / $0.6 per 1M tokens in/out`));
      const details = await markdown(metadata, 'user-metadata-current-details');
      expect(details.text).toMatch(/research-pipeline · succeeded · \d+ tokens · 3 model calls · \$0\.\d+ · 0 tool calls/);
      // One list item per agent, each on its own line, its facts separated (no borderless table).
      expect(details.tables).toBe(0);
      expect(details.items).toHaveLength(3);
      for (const [i, agent] of ['planner', 'researcher', 'writer'].entries()) {
        expect(details.items[i]).toMatch(new RegExp(`^${agent} — done · 1 activation · step 1 · \\d+ tokens · 1 model call · \\$0\\.\\d+ · 0 tool calls`));
      }
    } finally {
      await history.close();
      await metadata.close();
    }
  });

  it('a run waiting for an approval: the details say what it waits for and how to decide it', async () => {
    const ns = 'rr-real-tool-approval';
    const tool = 'rr-real-approval-smoke-tool';
    const override = writeOverride([
      mockEndpoint(ns, 'rr-real-approval-model', { 'rr-real-approval-agent': [{ tool_calls: [{ tool, input: { goal: 'write' } }] }] }),
      httpTool(ns, tool, 'http://127.0.0.1:9/never-called', { operation_classes: ['write'], risk_level: 'high' }),
    ]);
    const plan = await compileOk([`${CORPUS}/testing/scenarios-real/17-tool-approval-live`], { overrides: [override] });
    const run = await client.start(plan);
    try {
      const approval = await pendingApproval(run);
      const { history, metadata } = await openRun(run, 'approval');
      try {
        // The wait's timer, named by its summary (policy and rule included).
        await shows(history, `approval · ${approval.id}`);
        expect(await pageText(history)).toContain(`approval · ${approval.id} · rr-real-approval-agent · ${tool} · ${approval.policy} · ${approval.rule}`);
        expect(await pageText(history)).toContain('rr-real-approval-agent · model mock-1 · step 1');
        const details = await markdown(metadata, 'user-metadata-current-details');
        expect(details.text).toContain(`Waiting for approval ${approval.id}`);
        expect(details.text).toContain(approval.policy);
        expect(details.text).toContain('decideApproval');
        expect(details.text).toContain('More Actions → Send an Update');
        expect(details.codeBlocks.map((block) => JSON.parse(block))).toContainEqual(expect.objectContaining({ id: approval.id, decision: 'approve' }));
        expect(details.items).toEqual([expect.stringMatching(/^rr-real-approval-agent — running · 1 activation · .*1 model call · .*last: waiting for approval approval-1/)]);
      } finally {
        await history.close();
        await metadata.close();
      }
    } finally {
      await run.handle.terminate('web UI test done');
    }
  });
  it('an agent with several priced calls: its cost and cost per call read as written (not as math)', async () => {
    const file = writeOverride([
      {
        apiVersion: 'orch/v1',
        kind: 'ModelEndpoint',
        metadata: { name: 'priced' },
        spec: {
          provider: 'mock',
          default_model: 'mock-1',
          pricing: { input_per_million: 0.15, output_per_million: 0.6 },
          mock: { responses: { counter: [{ tool_calls: [{ tool: 'not-offered', input: {} }], usage: { input_tokens: 100, output_tokens: 20 } }, { text: 'done', usage: { input_tokens: 120, output_tokens: 10 } }] } },
        },
      },
      { apiVersion: 'orch/v1', kind: 'Agent', metadata: { name: 'counter' }, spec: { model_ref: 'priced', prompt: 'count' } },
      { apiVersion: 'orch/v1', kind: 'AgentSystem', metadata: { name: 'priced-system' }, spec: { agents: ['counter'] } },
    ]);
    const run = await client.start(await compileOk([file]));
    expect((await run.result()).status).toBe('succeeded');
    const { history, metadata } = await openRun(run, 'priced');
    try {
      const details = await markdown(metadata, 'user-metadata-current-details');
      expect(details.items).toEqual([expect.stringMatching(/^counter — done · 1 activation · step 2 · 250 tokens · 2 model calls · \$0\.\d+ \(\$0\.\d+\/call\) · 0 tool calls/)]);
      expect(details.text).toMatch(/^priced-system · succeeded · 250 tokens · 2 model calls · \$0\.\d+ · 0 tool calls/m);
      expect(details.text).not.toContain('\\(');
    } finally {
      await history.close();
      await metadata.close();
    }
  });

  it('a run no worker polls: its static summary and details say what it is (current details come only from a worker)', async () => {
    const plan = await compileOk(['examples/research-pipeline']);
    const run = await client.start(plan, { taskQueue: `${taskQueue}-nobody` });
    try {
      const { history, metadata } = await openRun(run, 'no-worker', { currentDetails: false });
      try {
        expect((await markdown(metadata, 'user-metadata-summary')).text).toContain('research-pipeline · research-brief');
        const details = await markdown(metadata, 'user-metadata-details');
        expect(details.items.map((item) => item.split(' ')[0])).toEqual(['planner', 'researcher', 'writer']);
      } finally {
        await history.close();
        await metadata.close();
      }
    } finally {
      await run.handle.terminate('web UI test done');
    }
  });
});
