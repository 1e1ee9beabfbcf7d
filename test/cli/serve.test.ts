/**
 * `orch serve` end to end: Orloj's event-driven-webhook use case and real scenario 11, their
 * hosted models replaced by the mock, served with an in-process worker; signed deliveries over
 * real HTTP become runs on the shared dev server; Ctrl-C stops it with exit 0.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchClient } from '../../client/orch-client.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { CORPUS, mockEndpoint, writeOverride } from '../helpers/scenario-overrides.ts';
import { fakeCli, orch, STACK_FRAME, writeFixtures, type FakeCli } from './cli-harness.ts';

/** Async: the server answering it runs in this process. */
const sh = (command: string) => promisify(execFile)('sh', ['-c', command], { encoding: 'utf8', timeout: 30_000 });

const USE_CASE = `${CORPUS}/examples/use-cases/event-driven-webhook`;
const SCENARIO_11 = `${CORPUS}/testing/scenarios-real/11-webhook-live-flow`;

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `orch serve … --port 0` and returns the delivery URL it prints for `webhook`. */
async function serving(cli: FakeCli, args: string[], webhook: string) {
  const done = cli.run(['serve', ...args, '--port', '0']);
  let exited: { code: number } | undefined;
  void done.then((result) => (exited = result));
  const url = await waitFor(() => {
    if (exited) throw new Error(`orch serve exited ${exited.code}: ${cli.stderr()}`);
    return new RegExp(`^\\S*${webhook}\\s+\\S+\\s+(http://\\S+)$`, 'm').exec(cli.stdout())?.[1];
  }, 'the listening URL');
  return { url, done };
}

function deliver(url: string, secret: string, body: string, eventId: string, timestamp = String(Math.floor(Date.now() / 1000))) {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': `sha256=${signature}`, 'x-timestamp': timestamp, 'x-event-id': eventId },
    body,
  });
}

describe('orch serve', () => {
  let client: OrchClient;
  beforeAll(async () => {
    client = await OrchClient.connect({ address: temporalAddress() });
  });
  afterAll(async () => {
    await client?.close();
  });

  it("serves Orloj's event-driven-webhook use case: a signed delivery runs its pipeline with the payload", async () => {
    const override = writeOverride([mockEndpoint('default', 'openai-default', {})]);
    // The environment wins over the Secret manifest, as for every secret orch resolves.
    const secret = `env-${randomUUID()}`;
    const cli = fakeCli({ env: { ORCH_SECRET_UC_WEBHOOK_HMAC_SECRET: secret } });
    const { url, done } = await serving(cli, [USE_CASE, '--override', override], 'uc-webhook-generic');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/webhook-deliveries\/uc-webhook-generic$/);
    try {
      const eventId = `evt-${randomUUID()}`;
      const body = JSON.stringify({ topic: 'incident 42' });
      const reply = await deliver(url, secret, body, eventId);
      expect(reply.status).toBe(202);
      const accepted = (await reply.json()) as { duplicate: boolean; run: { workflowId: string } };
      expect(accepted.duplicate).toBe(false);
      const outcome = await client.getRun(accepted.run.workflowId).result();
      expect(outcome.status).toBe('succeeded');
      expect(Object.keys(outcome.usage.byAgent).sort()).toEqual(['uc-webhook-planner-agent', 'uc-webhook-research-agent', 'uc-webhook-writer-agent']);
      expect(JSON.stringify(outcome.output)).toContain('incident 42');

      // The manifest's own value is not the key while the environment sets one.
      const manifestKey = await deliver(url, 'replace-with-a-long-random-shared-secret', body, `evt-${randomUUID()}`);
      expect(manifestKey.status).toBe(401);
      const duplicate = await deliver(url, secret, body, eventId);
      expect(await duplicate.json()).toMatchObject({ duplicate: true, run: { workflowId: accepted.run.workflowId } });
      expect(cli.stderr()).toMatch(/\[default\/uc-webhook-generic\] 202 accepted/);
      expect(cli.stderr()).toMatch(/\[default\/uc-webhook-generic\] 401 signature_invalid/);
      expect(cli.stderr()).not.toContain(secret);
    } finally {
      cli.interrupt();
    }
    const result = await done;
    expect(result.code).toBe(0);
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
  });

  it('serves real scenario 11 (namespaced, its Secret from the manifest): the run input carries the payload and event id', async () => {
    const override = writeOverride([mockEndpoint('rr-real-webhook', 'rr-real-model-default', { 'rr-real-webhook-triage-agent': [{ text: 'WEBHOOK_FLOW: accepted\nUSED_MEMORY: yes\nEVENT_ID:' }] })]);
    const cli = fakeCli();
    const { url, done } = await serving(cli, [SCENARIO_11, '--override', override], 'rr-real-webhook-ingest');
    try {
      const eventId = `evt-${randomUUID()}`;
      const reply = await deliver(url, 'rr-webhook-secret', JSON.stringify({ alert: 'cpu high', severity: 'p1' }), eventId);
      expect(reply.status).toBe(202);
      const { run } = (await reply.json()) as { run: { workflowId: string } };
      const outcome = await client.getRun(run.workflowId).result();
      expect(outcome.status).toBe('succeeded');
      expect(JSON.stringify(outcome.output)).toContain('WEBHOOK_FLOW: accepted');
      const history = await client.client.workflow.getHandle(run.workflowId).fetchHistory();
      const started = JSON.stringify(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!.map((p) => Buffer.from(p.data!).toString()));
      expect(started).toContain('cpu high');
      expect(started).toContain(eventId);
    } finally {
      cli.interrupt();
    }
    expect((await done).code).toBe(0);
  });

  it("the README's worked example: examples/webhook-intake, signed with openssl, sent with curl", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### TaskWebhook'));
    const script = /```sh\n(body=[\s\S]*?)```/.exec(section)?.[1];
    expect(script).toContain('curl');
    const cli = fakeCli({ env: { ORCH_SECRET_ALERT_INTAKE_KEY: 'change-me' } });
    const { url, done } = await serving(cli, ['examples/webhook-intake'], 'alert-intake');
    try {
      // The documented commands as written, only the port changed, and a fresh event id so reruns on one server stay new.
      const eventId = `alert-${randomUUID()}`;
      const port = new URL(url).port;
      const command = script!.replace('127.0.0.1:8080', `127.0.0.1:${port}`).replace('alert-0001', eventId).replace('curl -i', 'curl -sS');
      const reply = JSON.parse((await sh(command)).stdout) as { duplicate: boolean; run: { workflowId: string } };
      expect(reply).toMatchObject({ accepted: true, duplicate: false, event_id: eventId });
      const outcome = await client.getRun(reply.run.workflowId).result();
      expect(outcome.status).toBe('succeeded');
      expect(JSON.stringify(outcome.output)).toContain('checkout');
      expect(JSON.parse((await sh(command)).stdout)).toMatchObject({ duplicate: true, run: reply.run });
    } finally {
      cli.interrupt();
    }
    expect((await done).code).toBe(0);
  });

  it('--no-worker: the delivery starts the run and leaves it to the workers of the task queue', async () => {
    const cli = fakeCli({ env: { ORCH_SECRET_ALERT_INTAKE_KEY: 'k' } });
    const { url, done } = await serving(cli, ['examples/webhook-intake', '--no-worker'], 'alert-intake');
    let workflowId = '';
    try {
      const reply = await deliver(url, 'k', '{"service":"db"}', `evt-${randomUUID()}`);
      expect(reply.status).toBe(202);
      workflowId = ((await reply.json()) as { run: { workflowId: string } }).run.workflowId;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const described = await client.client.workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('RUNNING');
      expect(described.taskQueue).toBe(cli.taskQueue);
      expect(cli.stderr()).not.toContain('with a worker');
    } finally {
      cli.interrupt();
      if (workflowId) await client.client.workflow.getHandle(workflowId).terminate('test over');
    }
    expect((await done).code).toBe(0);
  });

  describe('refuses to start, with one located line and no stack trace', () => {
    it('manifests without a TaskWebhook', async () => {
      const dir = writeFixtures({ 'm.yaml': 'apiVersion: orch/v1\nkind: ModelEndpoint\nmetadata: { name: m }\nspec: { provider: mock }\n' });
      const result = await orch(['serve', dir, '--port', '0']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no TaskWebhook/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    });

    it('a TaskWebhook with an error', async () => {
      const dir = writeFixtures({ 'h.yaml': 'apiVersion: orch/v1\nkind: TaskWebhook\nmetadata: { name: h }\nspec: { task_ref: t, auth: { profile: gitlab, secret_ref: k } }\n' });
      const result = await orch(['serve', dir, '--port', '0']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/h\.yaml:4:\d+: error INVALID_VALUE/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    });

    it('a signing key that is set nowhere: named, with the variable that would set it', async () => {
      // The use case without its webhook Secret, and no ORCH_SECRET_* for it.
      const files = ['agent-system.yaml', 'agents', 'model-endpoint.yaml', 'task-template.yaml', 'task-webhook.yaml'].map((f) => `${USE_CASE}/${f}`);
      const result = await orch(['serve', ...files, '--port', '0', '--override', writeOverride([mockEndpoint('default', 'openai-default', {})])]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/TaskWebhook default\/uc-webhook-generic: its secret default\/uc-webhook-hmac-secret#value is not set: set ORCH_SECRET_UC_WEBHOOK_HMAC_SECRET/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    });

    it('a port already taken: named, exit 1', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
      const busy = (taken.address() as AddressInfo).port;
      try {
        const result = await orch(['serve', 'examples/webhook-intake', '--port', String(busy)], { env: { ORCH_SECRET_ALERT_INTAKE_KEY: 'k' } });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${busy}: EADDRINUSE`);
        expect(result.stderr).not.toMatch(STACK_FRAME);
      } finally {
        taken.close();
      }
    });

    it('a bad port is a usage error', async () => {
      const result = await orch(['serve', USE_CASE, '--port', '70000'], { temporal: false });
      expect(result.code).toBe(2);
    });
  });
});
