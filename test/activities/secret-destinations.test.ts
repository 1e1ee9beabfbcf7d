/**
 * Secrets go only where their owner bound them: the matching rules, and each transport
 * refusing (SECRET_DESTINATION_DENIED, non-retryable) before any request or process.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeActivities, createActivities, type ActivityDeps } from '../../activities/index.ts';
import { modelDestination, providerKeyVariable } from '../../activities/model-provider.ts';
import { SecretDestinations, type Destination, type WorkerManifests } from '../../activities/secret-destinations.ts';
import type { ModelCallRequest, ToolCallRequest } from '../../contract/activity-io.ts';
import type { PlanToolAuth } from '../../contract/plan.ts';
import { applicationFailureOf, dumpFailure, mcpRequest, modelRequest, planMcpServer, planModel, planTool, toolRequest } from '../helpers/activity-fixtures.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { startMcpHttpServer, type McpHttpServer } from '../helpers/mcp-http-server.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';
import { startOpenAICompatibleServer, type OpenAICompatibleServer } from '../helpers/openai-compatible-server.ts';
import { childPids } from '../helpers/processes.ts';

const TOKEN = 'bound-token-NEVER-ELSEWHERE-7311';
const secretRef = { namespace: 'default', name: 'api-token', key: 'value' };
const bearer: PlanToolAuth = { profile: 'bearer', secretRef, headerName: null, tokenUrl: null, scopes: [] };

function bindings(manifests: WorkerManifests = {}, env: NodeJS.ProcessEnv = {}) {
  return new SecretDestinations({ manifests, env, modelDestination, providerKeyVariable });
}
const url = (text: string): Destination => ({ kind: 'url', url: text });
const owner = { secret: secretRef };

/** One table of targets `binding` allows and one of targets it refuses (`[label, target]`), each row its own test. */
function allowsAndRefuses(binding: SecretDestinations, allowed: readonly string[], refused: readonly (readonly [string, string])[], titles: { allows: string; refuses: string }) {
  it.each(allowed)(titles.allows, (target) => {
    expect(binding.allows(owner, url(target))).toBe(true);
  });
  it.each(refused)(titles.refuses, (_label, target) => {
    expect(binding.allows(owner, url(target))).toBe(false);
  });
}

describe('URL prefixes', () => {
  allowsAndRefuses(
    bindings({ secretDestinations: { 'default/api-token': ['https://api.x.com/v1'] } }),
    [
      'https://api.x.com/v1',
      'https://api.x.com/v1/',
      'https://api.x.com/v1/chat/completions',
      'https://API.X.COM/v1/search?q=1#top',
      'https://api.x.com:443/v1/search',
      'https://api.x.com./v1/search',
      'https://api.x.com/v1/./search',
    ],
    [
      ['another host with the prefix as its start', 'https://api.x.com.evil.net/v1'],
      ['a longer path segment', 'https://api.x.com/v10'],
      ['a path that leaves the prefix', 'https://api.x.com/v1/../admin'],
      ['an encoded dot-dot', 'https://api.x.com/v1/%2e%2e/admin'],
      ['userinfo naming the bound host', 'https://api.x.com@evil.net/v1'],
      ['userinfo on the bound host', 'https://user:pw@api.x.com/v1'],
      ['another scheme', 'http://api.x.com/v1'],
      ['another port', 'https://api.x.com:8443/v1'],
      ['the parent path', 'https://api.x.com/'],
      ['a case-changed path', 'https://api.x.com/V1'],
      ['not a URL', 'api.x.com/v1'],
      ['a file URL', 'file:///etc/passwd'],
    ],
    { allows: 'allows %s', refuses: 'refuses %s' }
  );

  it('a default port in the prefix is the scheme default', () => {
    expect(bindings({ secretDestinations: { 'default/api-token': ['http://h.example:80'] } }).allows(owner, url('http://h.example/x'))).toBe(true);
  });

  it('an IDN host matches its punycode form', () => {
    expect(bindings({ secretDestinations: { 'default/api-token': ['https://bücher.example'] } }).allows(owner, url('https://xn--bcher-kva.example/a'))).toBe(true);
  });
});

describe('declared endpoints: a Tool or MCP server endpoint exactly, a model base URL as a checked prefix', () => {
  const toolAt = (endpoint: string) => bindings({ tools: [planTool({ endpoint, auth: bearer })] });
  allowsAndRefuses(
    toolAt('http://host.example/tool/declared'),
    ['http://host.example/tool/declared', 'http://HOST.example:80/tool/./declared', 'http://host.example/tool/x/../declared', 'http://host.example/tool/declared#top'],
    [
      ['a path under it', 'http://host.example/tool/declared/sub'],
      ['encoded dot-dot-slashes under it', 'http://host.example/tool/declared/..%2F..%2Fevil'],
      ['lower-case encoded ones', 'http://host.example/tool/declared/..%2f..%2fevil'],
      ['a trailing slash', 'http://host.example/tool/declared/'],
      ['a query it does not declare', 'http://host.example/tool/declared?to=evil'],
      ['its parent', 'http://host.example/tool'],
      ['a longer last segment', 'http://host.example/tool/declaredx'],
    ],
    { allows: 'a Tool endpoint allows itself: %s', refuses: 'a Tool endpoint refuses %s' }
  );

  it('a Tool endpoint with a query allows that query only', () => {
    const withQuery = toolAt('http://host.example/tool?version=2');
    expect(withQuery.allows(owner, url('http://host.example/tool?version=2'))).toBe(true);
    expect(withQuery.allows(owner, url('http://host.example/tool'))).toBe(false);
    expect(withQuery.allows(owner, url('http://host.example/tool?version=3'))).toBe(false);
  });

  it('an MCP server endpoint over HTTP allows itself only', () => {
    const server = planMcpServer({ transport: 'http', endpoint: 'https://mcp.example/mcp', auth: bearer });
    const mcp = bindings({ mcpServers: [server] });
    expect(mcp.allows(owner, url('https://mcp.example/mcp'))).toBe(true);
    expect(mcp.allows(owner, url('https://mcp.example/mcp/sub'))).toBe(false);
    expect(mcp.allows(owner, url('https://mcp.example/mcp/..%2Fadmin'))).toBe(false);
    expect(mcp.allows(owner, url('https://mcp.example/mcp?x=1'))).toBe(false);
  });

  allowsAndRefuses(
    bindings({ models: [planModel({ provider: 'openai-compatible', baseUrl: 'https://llm.example/v1', secretRef })] }),
    ['https://llm.example/v1/chat/completions', 'https://llm.example/v1/chat/completions?moved=1', 'https://llm.example/v1/models/a%20b', 'https://llm.example/v1'],
    [
      ['encoded dot-dot-slashes', 'https://llm.example/v1/..%2F..%2Fadmin'],
      ['an encoded slash', 'https://llm.example/v1/chat%2fcompletions'],
      ['an encoded backslash', 'https://llm.example/v1/a%5Cb'],
      ['encoded dots', 'https://llm.example/v1/%2E%2E%2Fadmin'],
      ['an encoded dot inside a segment', 'https://llm.example/v1/models/gpt%2e4'],
      ['a dot-dot the URL parser resolves', 'https://llm.example/v1/%2e%2e/admin'],
      ['another path', 'https://llm.example/v2/chat/completions'],
    ],
    { allows: 'a ModelEndpoint base URL covers what the SDK appends: %s', refuses: 'a ModelEndpoint base URL refuses %s past it' }
  );

  it('listed destinations and a provider’s own API are prefixes with the same check past them', () => {
    const listed = bindings({}, { ORCH_SECRET_API_TOKEN_DESTINATIONS: 'https://api.x.com/v1,https://api.x.com/a%2Fb' });
    expect(listed.allows(owner, url('https://api.x.com/v1/search/deep'))).toBe(true);
    expect(listed.allows(owner, url('https://api.x.com/v1/..%2Fadmin'))).toBe(false);
    expect(listed.allows(owner, url('https://api.x.com/v1/a%5cb'))).toBe(false);
    // What the owner listed may have encoded characters; only what comes past it is checked.
    expect(listed.allows(owner, url('https://api.x.com/a%2Fb/c'))).toBe(true);
    const manifest = bindings({ secretDestinations: { 'default/api-token': ['https://api.x.com/v1'] } });
    expect(manifest.allows(owner, url('https://api.x.com/v1/%2e%2e%2fadmin'))).toBe(false);
    const key = { variable: 'OPENAI_API_KEY' };
    expect(bindings().allows(key, url('https://api.openai.com/v1/chat/completions'))).toBe(true);
    expect(bindings().allows(key, url('https://api.openai.com/v1/..%2F..%2Fv2/files'))).toBe(false);
  });
});

describe('bindings', () => {
  it('an unbound secret with no manifests goes nowhere', () => {
    expect(bindings().allows(owner, url('https://api.x.com/v1'))).toBe(false);
  });

  it('ORCH_SECRET_<NAME>_DESTINATIONS binds (comma-separated), in any namespace', () => {
    const bound = bindings({}, { ORCH_SECRET_API_TOKEN_DESTINATIONS: 'https://a.example/v1, https://b.example' });
    expect(bound.allows(owner, url('https://a.example/v1/x'))).toBe(true);
    expect(bound.allows({ secret: { ...secretRef, namespace: 'team' } }, url('https://b.example/y'))).toBe(true);
    expect(bound.allows(owner, url('https://c.example/'))).toBe(false);
  });

  it('an unbound secret goes to the endpoints loaded manifests declare with it, and only with it', () => {
    const manifests: WorkerManifests = {
      tools: [planTool({ endpoint: 'https://tools.example/search', auth: bearer }), planTool({ endpoint: 'https://open.example/api', auth: null })],
    };
    const bound = bindings(manifests);
    expect(bound.allows(owner, url('https://tools.example/search'))).toBe(true);
    // Declared, but without this secret.
    expect(bound.allows(owner, url('https://open.example/api'))).toBe(false);
    expect(bound.allows({ secret: { ...secretRef, name: 'other' } }, url('https://tools.example/search'))).toBe(false);
  });

  it('a bound secret goes only where it is bound, whatever the manifests declare', () => {
    const bound = bindings({ tools: [planTool({ endpoint: 'https://tools.example/search', auth: bearer })], secretDestinations: { 'default/api-token': ['https://only.example'] } });
    expect(bound.allows(owner, url('https://tools.example/search'))).toBe(false);
    expect(bound.allows(owner, url('https://only.example/z'))).toBe(true);
  });

  it('listing only invalid destinations binds the secret to nothing', () => {
    expect(bindings({}, { ORCH_SECRET_API_TOKEN_DESTINATIONS: 'not a url' }).allows(owner, url('https://api.x.com/'))).toBe(false);
  });

  it('a provider key goes to its provider’s API and to ModelEndpoints the worker loaded', () => {
    const local = planModel({ provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1' });
    const bound = bindings({ models: [local] });
    const key = { variable: 'OPENAI_API_KEY' };
    expect(bound.allows(key, url('https://api.openai.com/v1/chat/completions'))).toBe(true);
    expect(bound.allows(key, url('http://127.0.0.1:9/v1/chat/completions'))).toBe(true);
    expect(bound.allows(key, url('https://evil.example/v1/chat/completions'))).toBe(false);
  });

  it('a stdio secret goes to exactly the launch that declared it, or that a stdio: destination names', () => {
    const server = planMcpServer({ command: 'npx', args: ['-y', 'server-github'], env: [{ name: 'TOKEN', value: null, secretRef }, { name: 'LOG', value: 'debug', secretRef: null }] });
    const declared = bindings({ mcpServers: [server] });
    const launch = (args: string[], env: Record<string, string> = { LOG: 'debug' }): Destination => ({ kind: 'stdio', command: 'npx', args, env });
    expect(declared.allows(owner, launch(['-y', 'server-github']))).toBe(true);
    expect(declared.allows(owner, launch(['-y', 'server-github', '--evil']))).toBe(false);
    expect(declared.allows(owner, launch(['-y', 'server-github'], { LOG: 'debug', NODE_OPTIONS: '--require /tmp/x.js' }))).toBe(false);
    const listed = bindings({}, { ORCH_SECRET_API_TOKEN_DESTINATIONS: 'stdio:npx -y server-github' });
    expect(listed.allows(owner, launch(['-y', 'server-github'], {}))).toBe(true);
    // A listed command line binds the program, not what literal variables could make of it.
    expect(listed.allows(owner, launch(['-y', 'server-github'], { npm_config_registry: 'https://evil.example' }))).toBe(false);
    expect(listed.allows(owner, url('https://github.com'))).toBe(false);
  });
});

describe('each transport refuses before anything is sent', () => {
  let tool: RecordingServer;
  let model: OpenAICompatibleServer;
  let mcp: McpHttpServer;
  beforeAll(async () => {
    tool = await startRecordingServer();
    model = await startOpenAICompatibleServer();
    mcp = await startMcpHttpServer({ token: TOKEN });
  });
  afterAll(async () => {
    await tool.close();
    await model.close();
    await mcp.close();
  });
  beforeEach(() => {
    tool.requests.length = 0;
    model.requests.length = 0;
  });

  const deps: ActivityDeps = { env: { ORCH_SECRET_API_TOKEN: TOKEN }, network: { allowLoopback: true } };

  async function run<T>(fn: (activities: ReturnType<typeof createActivities>) => Promise<T>, extra: ActivityDeps = {}): Promise<T> {
    const activities = createActivities({ ...deps, ...extra });
    try {
      return await fn(activities);
    } finally {
      await closeActivities(activities);
    }
  }
  const callTool = (request: ToolCallRequest, extra?: ActivityDeps) => run((a) => new MockActivityEnvironment().run(a.callTool, request), extra);
  const callModel = (request: ModelCallRequest, extra?: ActivityDeps) => run((a) => new MockActivityEnvironment().run(a.callModel, request), extra);
  /** The call's failure, asserted to be a non-retryable SECRET_DESTINATION_DENIED that does not carry the secret. */
  async function expectDenied(call: Promise<unknown>) {
    const error = await applicationFailureOf(call);
    expect(error).toMatchObject({ type: 'SECRET_DESTINATION_DENIED', nonRetryable: true });
    expect(dumpFailure(error)).not.toContain(TOKEN);
    return error;
  }

  it('an HTTP tool whose endpoint the secret is not bound to: no request at all', async () => {
    const error = await expectDenied(callTool(toolRequest(planTool({ endpoint: `${tool.url}/exfil`, auth: bearer }))));
    expect(error.message).toContain('default/api-token');
    expect(error.message).toContain('ORCH_SECRET_API_TOKEN_DESTINATIONS');
    expect(tool.requests).toHaveLength(0);
  });

  it('the same tool runs once its endpoint is declared by a manifest the worker loaded', async () => {
    const declared = planTool({ endpoint: `${tool.url}/search`, auth: bearer });
    await callTool(toolRequest(declared), { manifests: { tools: [declared] } });
    expect(tool.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });

  it.each(['/tool/declared/sub', '/tool/declared/..%2F..%2Fevil'])('a tool at %s, under the declared endpoint /tool/declared: no request', async (path) => {
    const declared = planTool({ endpoint: `${tool.url}/tool/declared`, auth: bearer });
    await expectDenied(callTool(toolRequest(planTool({ endpoint: `${tool.url}${path}`, auth: bearer })), { manifests: { tools: [declared] } }));
    expect(tool.requests).toHaveLength(0);
  });

  it('a tool redirect is not followed: the other origin sees nothing', async () => {
    const elsewhere = await startRecordingServer();
    try {
      tool.enqueue({ status: 307, headers: { location: `${elsewhere.url}/steal` } });
      const declared = planTool({ endpoint: `${tool.url}/search`, auth: bearer });
      const result = await callTool(toolRequest(declared), { manifests: { tools: [declared] } });
      expect(result.isError).toBe(true);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('a model endpoint its key is not bound to: no request; and a redirect to another origin is refused before it is followed', async () => {
    const request = modelRequest({ model: planModel({ provider: 'openai-compatible', baseUrl: model.url, model: 'm', secretRef }) });
    await expectDenied(callModel(request));
    expect(model.requests).toHaveLength(0);

    const elsewhere = await startOpenAICompatibleServer();
    try {
      model.enqueue({ status: 307, headers: { location: `${elsewhere.url}/chat/completions` }, body: {} });
      await expectDenied(callModel(request, { manifests: { models: [request.model] } }));
      expect(model.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('a model redirect within the bound destination is followed, with the key', async () => {
    const request = modelRequest({ model: planModel({ provider: 'openai-compatible', baseUrl: model.url, model: 'm', secretRef }) });
    model.enqueue({ status: 308, headers: { location: `${model.url}/chat/completions?moved=1` }, body: {} }, { text: 'moved answer' });
    const result = await callModel(request, { manifests: { models: [request.model] } });
    expect(result.text).toBe('moved answer');
    expect(model.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('an MCP server over HTTP whose endpoint the secret is not bound to: no request', async () => {
    const before = mcp.requests.length;
    const server = planMcpServer({ id: { namespace: 'default', name: 'remote' }, transport: 'http', endpoint: mcp.url, auth: bearer });
    await expectDenied(callTool(mcpRequest(server, 'greet', { name: 'x' })));
    expect(mcp.requests.length).toBe(before);
  });

  it('an MCP server over HTTP at a path under its declared endpoint: no request', async () => {
    const before = mcp.requests.length;
    const declared = planMcpServer({ id: { namespace: 'default', name: 'remote' }, transport: 'http', endpoint: mcp.url, auth: bearer });
    await expectDenied(callTool(mcpRequest({ ...declared, endpoint: `${mcp.url}/..%2F..%2Fadmin` }, 'greet', { name: 'x' }), { manifests: { mcpServers: [declared] } }));
    expect(mcp.requests.length).toBe(before);
  });

  it('a model endpoint whose base URL leaves the declared one through encoded separators: no request', async () => {
    const declared = planModel({ provider: 'openai-compatible', baseUrl: model.url, model: 'm', secretRef });
    const request = modelRequest({ model: { ...declared, baseUrl: `${model.url}/..%2F..%2Fevil` } });
    await expectDenied(callModel(request, { manifests: { models: [declared] } }));
    expect(model.requests).toHaveLength(0);
  });

  it('a stdio server whose launch the secret is not bound to: never started', async () => {
    const before = childPids().length;
    const server = planMcpServer({ command: process.execPath, args: ['-e', 'setTimeout(() => {}, 60000)'], env: [{ name: 'TOKEN', value: null, secretRef }] });
    const error = await expectDenied(callTool(mcpRequest(server, 'echo', {})));
    expect(error.message).toContain(`stdio:${process.execPath} -e`);
    expect(childPids().length).toBe(before);
  });
});
