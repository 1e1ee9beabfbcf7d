/**
 * TaskWebhook deliveries over real HTTP to the handler, runs on the shared dev server: one
 * signed delivery is one run with the body in its input; a duplicate starts nothing, also
 * through a new handler (a restart); every bad request is refused before anything starts.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, request } from 'node:http';
import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../compiler/index.ts';
import { createWebhookHandler, webhookWorkflowId, type WebhookDeliveryEvent } from '../../client/webhook-handler.ts';
import { resolveSecret } from '../../activities/secrets.ts';
import type { WebhookDefinition } from '../../contract/webhooks.ts';
import { startHarness, type Harness } from '../helpers/orch-harness.ts';
import { listenOnLoopback, type LoopbackListener } from '../helpers/listen-loopback.ts';
import { writeManifests } from '../compiler/helpers.ts';

const SECRET = 'a-long-shared-secret-for-tests';

const MANIFESTS = `apiVersion: orch/v1
kind: ModelEndpoint
metadata: { name: m }
spec: { provider: mock, default_model: mock-1 }
---
apiVersion: orch/v1
kind: Agent
metadata: { name: triage }
spec: { model_ref: m, prompt: triage the event }
---
apiVersion: orch/v1
kind: AgentSystem
metadata: { name: intake }
spec: { agents: [triage] }
---
apiVersion: orch/v1
kind: Task
metadata: { name: intake-template }
spec: { system: intake, mode: template, input: { source: webhook, topic: default } }
---
apiVersion: orch/v1
kind: Secret
metadata: { name: hook-key }
spec: { stringData: { value: ${SECRET} } }
---
apiVersion: orch/v1
kind: TaskWebhook
metadata: { name: intake-generic }
spec:
  task_ref: intake-template
  auth: { profile: generic, secret_ref: hook-key }
  idempotency: { event_id_header: X-Event-Id, dedupe_window_seconds: 3600 }
  payload: { input_key: webhook_payload }
---
apiVersion: orch/v1
kind: TaskWebhook
metadata: { name: intake-github }
spec:
  task_ref: intake-template
  auth: { profile: github, secret_ref: hook-key }
  payload: { input_key: event }
---
apiVersion: orch/v1
kind: TaskWebhook
metadata: { name: intake-short }
spec:
  task_ref: intake-template
  auth: { secret_ref: hook-key }
  idempotency: { dedupe_window_seconds: 1 }
---
apiVersion: orch/v1
kind: TaskWebhook
metadata: { name: intake-paused }
spec:
  task_ref: intake-template
  suspend: true
  auth: { secret_ref: hook-key }
`;

interface Reply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** One request with node:http, so oversize bodies and odd headers go out exactly as written. */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    // The server may answer (413) and close before the whole body is written.
    req.on('error', reject);
    req.end(options.body);
  });
}

const nowSeconds = () => String(Math.floor(Date.now() / 1000));

function genericHeaders(body: string, eventId: string, timestamp = nowSeconds(), secret = SECRET): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-signature': `sha256=${signature}`, 'x-timestamp': timestamp, 'x-event-id': eventId };
}

function githubHeaders(body: string, delivery: string): Record<string, string> {
  const signature = createHmac('sha256', SECRET).update(body).digest('hex');
  return { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}`, 'x-github-delivery': delivery, 'x-github-event': 'push' };
}

describe('TaskWebhook delivery', () => {
  let harness: Harness;
  let webhooks: WebhookDefinition[];
  let secrets: Awaited<ReturnType<typeof validate>>['secrets'];
  let listener: LoopbackListener;
  const events: WebhookDeliveryEvent[] = [];

  /** A handler as a fresh process would build it: nothing shared with an earlier one but Temporal. */
  async function serve(): Promise<LoopbackListener> {
    const handler = createWebhookHandler({
      webhooks,
      client: harness.client,
      resolveSecret: (ref) => resolveSecret(ref, { env: {}, secrets }),
      onDelivery: (event) => events.push(event),
    });
    return listenOnLoopback(createServer((req, res) => void handler(req, res)));
  }

  /** Executions of the id, from visibility, which may lag a fresh start by a moment: waits for the first. */
  async function startedRuns(workflowId: string): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      let count = 0;
      for await (const _ of harness.client.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) count += 1;
      if (count > 0 || attempt >= 50) return count;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Never started: Temporal has no execution of that id (read from the store, not from lagging visibility). */
  async function expectNoRun(workflowId: string): Promise<void> {
    await expect(harness.client.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }

  async function runInput(workflowId: string): Promise<any> {
    const history = await harness.client.client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    return (defaultPayloadConverter.fromPayload(payload) as { input: unknown }).input;
  }

  beforeAll(async () => {
    harness = await startHarness();
    const loaded = await validate(Object.values(writeManifests({ 'hooks.yaml': MANIFESTS })));
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    webhooks = loaded.webhooks;
    secrets = loaded.secrets;
    listener = await serve();
  });
  afterAll(async () => {
    await listener?.close();
    await harness?.stop();
  });

  it('a signed generic delivery starts one run that completes with the body in its input', async () => {
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ incident: 'disk full', host: 'db-1' });
    const reply = await send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders(body, eventId), body });
    expect(reply.status).toBe(202);
    const workflowId = webhookWorkflowId({ namespace: 'default', name: 'intake-generic' }, eventId);
    expect(reply.body).toMatchObject({ accepted: true, duplicate: false, event_id: eventId, task: workflowId, run: { workflowId } });
    expect(reply.body.run.runId).toMatch(/\S/);

    const outcome = await harness.client.getRun(workflowId).result();
    expect(outcome.status).toBe('succeeded');
    const input = await runInput(workflowId);
    expect(input).toMatchObject({ source: 'webhook', topic: 'default', webhook_payload: { incident: 'disk full', host: 'db-1' }, webhook_event_id: eventId, webhook_source: 'generic' });
    expect(await startedRuns(workflowId)).toBe(1);
  });

  it('a duplicate starts nothing, through the same handler and through a new one (a restart)', async () => {
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ n: 1 });
    const first = await send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders(body, eventId), body });
    expect(first.status).toBe(202);
    expect(first.body.duplicate).toBe(false);
    const again = await send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders(body, eventId), body });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ duplicate: true, run: first.body.run });

    await harness.client.getRun(first.body.run.workflowId).result();
    await listener.close();
    listener = await serve();
    // Closed by now, and within the window: still a duplicate, though this handler never saw it.
    const afterRestart = await send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders(body, eventId), body });
    expect(afterRestart.status).toBe(202);
    expect(afterRestart.body).toMatchObject({ duplicate: true, run: first.body.run });
    expect(await startedRuns(first.body.run.workflowId)).toBe(1);
  });

  it('past its dedupe window, a closed run of the event id lets a redelivery run again', async () => {
    const eventId = `evt-${randomUUID()}`;
    const body = '{"late":true}';
    const path = '/v1/webhook-deliveries/intake-short';
    const first = await send(listener.port, path, { headers: genericHeaders(body, eventId), body });
    expect(first.body.duplicate).toBe(false);
    await harness.client.getRun(first.body.run.workflowId).result();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const later = await send(listener.port, path, { headers: genericHeaders(body, eventId), body });
    expect(later.status).toBe(202);
    expect(later.body.duplicate).toBe(false);
    expect(later.body.run.workflowId).toBe(first.body.run.workflowId);
    expect(later.body.run.runId).not.toBe(first.body.run.runId);
    // And within the new window, a duplicate of the new run.
    const again = await send(listener.port, path, { headers: genericHeaders(body, eventId), body });
    expect(again.body).toMatchObject({ duplicate: true, run: later.body.run });
  });

  it("the path takes the webhook's name, namespace/name or Orloj's endpoint id", async () => {
    const generic = webhooks.find((w) => w.name === 'intake-generic')!;
    expect(generic.endpointId).toMatch(/^[0-9a-f]{24}$/);
    for (const id of ['default/intake-generic', generic.endpointId]) {
      const eventId = `evt-${randomUUID()}`;
      const reply = await send(listener.port, `/v1/webhook-deliveries/${id}`, { headers: genericHeaders('{}', eventId), body: '{}' });
      expect(reply.status, id).toBe(202);
      expect(reply.body.run.workflowId).toBe(webhookWorkflowId(generic, eventId));
    }
  });

  it('mounted in a larger server: other paths go to next, deliveries are still handled', async () => {
    const handler = createWebhookHandler({ webhooks, client: harness.client, resolveSecret: () => SECRET });
    const mounted = await listenOnLoopback(
      createServer((req, res) =>
        void handler(req, res, () => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('the app');
        }),
      ),
    );
    try {
      const other = await send(mounted.port, '/health', { method: 'GET', body: '' });
      expect([other.status, other.body]).toEqual([200, 'the app']);
      const eventId = `evt-${randomUUID()}`;
      const delivery = await send(mounted.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders('{}', eventId), body: '{}' });
      expect(delivery.status).toBe(202);
    } finally {
      await mounted.close();
    }
  });

  it('a key that resolves to nothing is 500, and nothing starts', async () => {
    const handler = createWebhookHandler({ webhooks, client: harness.client, resolveSecret: () => '' });
    const empty = await listenOnLoopback(createServer((req, res) => void handler(req, res)));
    try {
      const eventId = `evt-${randomUUID()}`;
      // Signed with the empty key: were it used, this would pass.
      const reply = await send(empty.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders('{}', eventId, nowSeconds(), ''), body: '{}' });
      expect(reply.status).toBe(500);
      await expectNoRun(webhookWorkflowId({ namespace: 'default', name: 'intake-generic' }, eventId));
    } finally {
      await empty.close();
    }
  });

  it('concurrent deliveries of one event start one run', async () => {
    const eventId = `evt-${randomUUID()}`;
    const body = '{"burst":true}';
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders(body, eventId), body })),
    );
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(replies.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(new Set(replies.map((r) => r.body.run.runId)).size).toBe(1);
    expect(await startedRuns(replies[0]!.body.run.workflowId)).toBe(1);
  });

  it('a flood of forged, fresh and replayed deliveries at once: every forgery 401, each event one run', async () => {
    const path = '/v1/webhook-deliveries/intake-generic';
    const generic = { namespace: 'default', name: 'intake-generic' };
    const forged = Array.from({ length: 120 }, (_, i) => {
      const eventId = `forged-${randomUUID()}`;
      const body = `{"forged":${i}}`;
      return { kind: 'forged', eventId, body, headers: genericHeaders(body, eventId, nowSeconds(), 'not-the-key') };
    });
    const fresh = Array.from({ length: 24 }, (_, i) => {
      const eventId = `fresh-${randomUUID()}`;
      const body = `{"fresh":${i}}`;
      return { kind: 'fresh', eventId, body, headers: genericHeaders(body, eventId) };
    });
    const replayedId = `replayed-${randomUUID()}`;
    const replayed = Array.from({ length: 16 }, () => ({ kind: 'replayed', eventId: replayedId, body: '{"again":1}', headers: genericHeaders('{"again":1}', replayedId) }));
    // Interleaved, so forgeries and replays arrive among the real deliveries.
    const all = [...forged, ...fresh, ...replayed].sort((a, b) => a.eventId.localeCompare(b.eventId));
    const replies = await Promise.all(all.map((d) => send(listener.port, path, { headers: d.headers, body: d.body }).then((reply) => ({ ...d, reply }))));
    for (const r of replies.filter((r) => r.kind === 'forged')) expect(r.reply.status).toBe(401);
    for (const r of replies.filter((r) => r.kind !== 'forged')) expect(r.reply.status).toBe(202);
    expect(replies.filter((r) => r.kind === 'replayed' && r.reply.body.duplicate === false)).toHaveLength(1);
    // Nothing started for a forgery; exactly one run for each real event.
    for (const f of forged.slice(0, 10)) await expectNoRun(webhookWorkflowId(generic, f.eventId));
    for (const f of [...fresh, replayed[0]!]) expect(await startedRuns(webhookWorkflowId(generic, f.eventId))).toBe(1);
  });

  it('a github delivery: X-Hub-Signature-256 over the body, X-GitHub-Delivery its event id', async () => {
    const delivery = randomUUID();
    const body = JSON.stringify({ ref: 'refs/heads/main', commits: [{ id: 'abc' }] });
    const reply = await send(listener.port, '/v1/webhook-deliveries/intake-github', { headers: githubHeaders(body, delivery), body });
    expect(reply.status).toBe(202);
    expect(reply.body.event_id).toBe(delivery);
    const outcome = await harness.client.getRun(reply.body.run.workflowId).result();
    expect(outcome.status).toBe('succeeded');
    expect(await runInput(reply.body.run.workflowId)).toMatchObject({ event: { ref: 'refs/heads/main' }, webhook_event_id: delivery, webhook_source: 'github' });

    const tampered = JSON.stringify({ ref: 'refs/heads/evil', commits: [] });
    const refused = await send(listener.port, '/v1/webhook-deliveries/intake-github', { headers: githubHeaders(body, randomUUID()), body: tampered });
    expect(refused.status).toBe(401);
  });

  describe('refused, and nothing starts', () => {
    const body = '{"x":1}';
    /** Sends a delivery whose event id is fresh, and asserts no run exists for it afterwards. */
    async function refused(headersFor: (eventId: string) => Record<string, string>, options: { path?: string; body?: string | Buffer; method?: string } = {}): Promise<Reply> {
      const eventId = `evt-${randomUUID()}`;
      const reply = await send(listener.port, options.path ?? '/v1/webhook-deliveries/intake-generic', {
        headers: headersFor(eventId),
        body: options.body ?? body,
        ...(options.method ? { method: options.method } : {}),
      });
      await expectNoRun(webhookWorkflowId({ namespace: 'default', name: 'intake-generic' }, eventId));
      return reply;
    }

    it.each([
      ['a bad signature', (id: string) => genericHeaders(body, id, nowSeconds(), 'the-wrong-secret'), 401],
      ['a missing signature', (id: string) => ({ ...genericHeaders(body, id), 'x-signature': '' }), 401],
      ['a stale timestamp', (id: string) => genericHeaders(body, id, String(Math.floor(Date.now() / 1000) - 301)), 401],
      ['a timestamp from the future', (id: string) => genericHeaders(body, id, String(Math.floor(Date.now() / 1000) + 301)), 401],
      ['a missing timestamp', (id: string) => ({ ...genericHeaders(body, id), 'x-timestamp': '' }), 401],
      ['a signature of the wrong length', (id: string) => ({ ...genericHeaders(body, id), 'x-signature': `sha256=${'ab'.repeat(31)}` }), 401],
      ['a signature that is not hex', (id: string) => ({ ...genericHeaders(body, id), 'x-signature': `sha256=${'zz'.repeat(32)}` }), 401],
      ['a signature without its prefix', (id: string) => ({ ...genericHeaders(body, id), 'x-signature': genericHeaders(body, id)['x-signature']!.slice(7) }), 401],
      ['no event id', (id: string) => ({ ...genericHeaders(body, id), 'x-event-id': '' }), 400],
    ])('%s', async (_, headersFor, status) => {
      const reply = await refused(headersFor);
      expect(reply.status).toBe(status);
      // Nothing of the request or the key is echoed.
      expect(JSON.stringify(reply.body)).not.toContain(SECRET);
      expect(JSON.stringify(reply.body)).not.toMatch(/[0-9a-f]{64}/);
    });

    it('a webhook that does not exist is 404, another path 404, a GET 405', async () => {
      expect((await refused((id) => genericHeaders(body, id), { path: '/v1/webhook-deliveries/nope' })).status).toBe(404);
      expect((await refused((id) => genericHeaders(body, id), { path: '/v1/webhook-deliveries/' })).status).toBe(404);
      expect((await refused((id) => genericHeaders(body, id), { path: '/v1/other' })).status).toBe(404);
      expect((await refused((id) => genericHeaders(body, id), { path: '/v1/webhook-deliveries/%E0%A4%A' })).status).toBe(404);
      const get = await refused((id) => genericHeaders(body, id), { method: 'GET', body: '' });
      expect(get.status).toBe(405);
      expect(get.headers['allow']).toBe('POST');
    });

    it('an oversize body is 413, declared or not', async () => {
      const big = Buffer.alloc((1 << 20) + 1, 'a');
      const declared = await refused((id) => genericHeaders(big.toString(), id), { body: big });
      expect(declared.status).toBe(413);
      // Chunked: no Content-Length to refuse up front; cut off once past the limit.
      const chunked = await refused((id) => ({ ...genericHeaders(big.toString(), id), 'transfer-encoding': 'chunked' }), { body: big });
      expect(chunked.status).toBe(413);
    });

    it('a body that is not JSON, or of another type, or nested without end, is refused after its signature checks', async () => {
      expect((await refused((id) => genericHeaders('{not json', id), { body: '{not json' })).status).toBe(400);
      const form = 'a=1&b=2';
      expect((await refused((id) => ({ ...genericHeaders(form, id), 'content-type': 'application/x-www-form-urlencoded' }), { body: form })).status).toBe(415);
      expect((await refused((id) => { const h = genericHeaders(form, id); delete h['content-type']; return h; }, { body: form })).status).toBe(415);
      const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      expect((await refused((id) => genericHeaders(deep, id), { body: deep })).status).toBe(400);
      const invalidUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
      const signedBytes = (id: string) => {
        const timestamp = nowSeconds();
        const signature = createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`${timestamp}.`), invalidUtf8])).digest('hex');
        return { ...genericHeaders('', id, timestamp), 'x-signature': `sha256=${signature}` };
      };
      expect((await refused(signedBytes, { body: invalidUtf8 })).status).toBe(400);
    });

    it('huge headers are refused by the HTTP server itself (431 or a reset), the handler never runs', async () => {
      const before = events.length;
      const eventId = `evt-${randomUUID()}`;
      const status = await send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: { ...genericHeaders(body, eventId), 'x-padding': 'p'.repeat(64 * 1024) }, body }).then(
        (reply) => reply.status,
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect([431, 'ECONNRESET', 'EPIPE']).toContain(status);
      expect(events.length).toBe(before);
      await expectNoRun(webhookWorkflowId({ namespace: 'default', name: 'intake-generic' }, eventId));
    });

    it('a suspended webhook is 409, even correctly signed', async () => {
      const eventId = `evt-${randomUUID()}`;
      const reply = await send(listener.port, '/v1/webhook-deliveries/intake-paused', { headers: genericHeaders(body, eventId), body });
      expect(reply.status).toBe(409);
      await expectNoRun(webhookWorkflowId({ namespace: 'default', name: 'intake-paused' }, eventId));
    });

    it('an event id longer than 1024 characters is 400', async () => {
      const reply = await send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: genericHeaders(body, 'e'.repeat(1025)), body });
      expect(reply.status).toBe(400);
    });
  });

  it('a text body arrives as text, as in Orloj raw mode', async () => {
    const eventId = `evt-${randomUUID()}`;
    const text = 'plain text alert';
    const reply = await send(listener.port, '/v1/webhook-deliveries/intake-generic', { headers: { ...genericHeaders(text, eventId), 'content-type': 'text/plain' }, body: text });
    expect(reply.status).toBe(202);
    await harness.client.getRun(reply.body.run.workflowId).result();
    expect((await runInput(reply.body.run.workflowId)).webhook_payload).toBe(text);
  });

  it('the log events carry names, codes and ids, never the key or a signature', () => {
    const logged = JSON.stringify(events);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toMatch(/sha256=/);
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['accepted', 'duplicate', 'signature_invalid', 'stale_timestamp', 'missing_signature', 'not_found', 'too_large', 'unsupported_media_type', 'invalid_json', 'too_deep']));
  });
});
