/**
 * The SSRF guard: address classes, and HTTP tool calls refused or allowed at connect time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { closeActivities, createActivities, type ActivityDeps } from '../../activities/index.ts';
import { classifyAddress, guardedLookup } from '../../activities/network-guard.ts';
import { applicationFailureOf, planTool, toolRequest } from '../helpers/activity-fixtures.ts';
import { startRecordingServer, type RecordingServer } from '../helpers/http-server.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['ff02::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2606:4700:4700::1111', 'public'],
    ['[::1]', 'loopback'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('guardedLookup', () => {
  const lookup = (host: string, settings: { allowLoopback: boolean; allowPrivate: boolean }, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      guardedLookup(settings)(host, { all }, (error, address) => resolve({ error, address }))
    );

  it('drops refused addresses from a DNS answer and fails when none is left', async () => {
    const refused = await lookup('localhost', { allowLoopback: false, allowPrivate: false }, true);
    expect(refused.error).toMatchObject({ code: 'ORCH_ENDPOINT_FORBIDDEN', addressClass: 'loopback' });
    const allowed = await lookup('localhost', { allowLoopback: true, allowPrivate: false }, true);
    expect(allowed.error).toBeNull();
    expect((allowed.address as { address: string }[]).every((entry) => classifyAddress(entry.address) === 'loopback')).toBe(true);
    const single = await lookup('localhost', { allowLoopback: true, allowPrivate: false }, false);
    expect(typeof single.address).toBe('string');
  });
});

describe('HTTP tools behind the guard', () => {
  let server: RecordingServer;
  beforeAll(async () => {
    server = await startRecordingServer();
  });
  afterAll(async () => {
    await server.close();
  });
  const port = () => new URL(server.url).port;

  async function callWith(endpoint: string, deps: ActivityDeps) {
    const activities = createActivities(deps);
    try {
      return await new MockActivityEnvironment().run(activities.callTool, toolRequest(planTool({ endpoint, timeoutMs: 2_000 })));
    } finally {
      await closeActivities(activities);
    }
  }

  function refusal(endpoint: string, deps: ActivityDeps): Promise<ApplicationFailure> {

    return applicationFailureOf(callWith(endpoint, deps));

  }

  it('refuses 127.0.0.1 by default with a non-retryable TOOL_ENDPOINT_FORBIDDEN naming the setting; the server sees nothing', async () => {
    const before = server.requests.length;
    const error = await refusal(`${server.url}/x`, { env: {} });
    expect(error).toMatchObject({ type: 'TOOL_ENDPOINT_FORBIDDEN', nonRetryable: true });
    expect(error.message).toContain('network.allowLoopback (ORCH_TOOLS_ALLOW_LOOPBACK=true)');
    expect(server.requests.length).toBe(before);
  });

  it('allows 127.0.0.1 with network.allowLoopback, or ORCH_TOOLS_ALLOW_LOOPBACK=true', async () => {
    expect((await callWith(`${server.url}/x`, { env: {}, network: { allowLoopback: true } })).isError).toBe(false);
    expect((await callWith(`${server.url}/x`, { env: { ORCH_TOOLS_ALLOW_LOOPBACK: 'true' } })).isError).toBe(false);
  });

  it('refuses a hostname that resolves to loopback (checked at lookup time), allows it when loopback is allowed', async () => {
    const before = server.requests.length;
    const error = await refusal(`http://localhost:${port()}/x`, { env: {} });
    expect(error).toMatchObject({ type: 'TOOL_ENDPOINT_FORBIDDEN', nonRetryable: true });
    expect(error.message).toContain('localhost');
    expect(server.requests.length).toBe(before);
    // The dev box's localhost may be ::1 first; the server is on 127.0.0.1: autoSelectFamily tries both.
    expect((await callWith(`http://localhost:${port()}/x`, { env: {}, network: { allowLoopback: true } })).isError).toBe(false);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://10.0.0.1/x', 'private'],
    ['http://[fe80::1]/x', 'link-local'],
    ['http://0.0.0.0:1/x', 'unspecified'],
  ])('refuses %s even with allowLoopback', async (endpoint, addressClass) => {
    const error = await refusal(endpoint, { env: {}, network: { allowLoopback: true } });
    expect(error).toMatchObject({ type: 'TOOL_ENDPOINT_FORBIDDEN', nonRetryable: true });
    expect(error.message).toContain(`${addressClass} address`);
  });

  it('refuses IPv6 loopback forms by default', async () => {
    for (const host of ['[::1]', '[::ffff:127.0.0.1]']) {
      const error = await refusal(`http://${host}:${port()}/x`, { env: {} });
      expect(error.type).toBe('TOOL_ENDPOINT_FORBIDDEN');
    }
  });

  it('the cloud metadata address has no setting that allows it', async () => {
    const error = await refusal('http://169.254.169.254/', { env: {}, network: { allowLoopback: true, allowPrivate: true } });
    expect(error.message).toContain('no setting allows');
  });
});
