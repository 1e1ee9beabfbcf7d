/**
 * The model every system in the benchmark calls: an OpenAI-compatible Chat Completions
 * server on loopback that answers at once (zero delay), so what is measured is each
 * system's own cost per step, not the model's. Any path ending in `/chat/completions` is
 * served; the answer is a short text derived from the last message (so each step's output
 * feeds the next), with usage, as a real endpoint reports it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeModel {
  /** Base URL to configure a client with, ending in `/v1`. */
  url: string;
  /** Completions answered so far (a check that every step really called the model). */
  readonly calls: number;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of the last message, whether its content is a string or a list of parts. */
function lastMessageText(body: { messages?: Array<{ content?: unknown }> }): string {
  const content = body.messages?.at(-1)?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part: { text?: string }) => part.text ?? '').join('');
  return '';
}

export async function startFakeModel(): Promise<FakeModel> {
  let calls = 0;
  const server = createServer(async (request, response) => {
    const raw = await readBody(request);
    if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    calls++;
    const body = JSON.parse(raw) as { model?: string; messages?: Array<{ content?: unknown }> };
    // Bounded, so a long pipeline's prompts do not grow with the steps.
    const text = `answer to: ${lastMessageText(body).slice(-80)}`;
    const reply = {
      id: `chatcmpl-${calls}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'fake',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One Chat Completions call over HTTP, as the floor and the bare Temporal activity make it. */
export async function completeOnce(url: string, step: number, prompt: string): Promise<string> {
  const response = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer none' },
    body: JSON.stringify({ model: 'fake', messages: [{ role: 'system', content: `step agent-${step + 1}` }, { role: 'user', content: prompt }] }),
  });
  if (!response.ok) throw new Error(`the fake model answered ${response.status}`);
  const completion = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  return completion.choices[0]!.message.content;
}

/** The floor: the same pipeline as a plain loop of model calls, nothing persisted. */
export async function plainLoop(url: string, agents: number, input: string): Promise<string> {
  let last = input;
  for (let step = 0; step < agents; step++) last = await completeOnce(url, step, last);
  return last;
}
