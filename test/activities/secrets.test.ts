import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { resolveSecret, secretEnvNames } from '../../activities/secrets.ts';
import { createRedactor, redactDeep } from '../../activities/redact.ts';

const ref = { namespace: 'team-a', name: 'openai-key', key: 'value' };

describe('secretEnvNames', () => {
  it('upper-cases ORCH names and keeps ORLOJ names as written', () => {
    expect(secretEnvNames(ref)).toEqual(['ORCH_SECRET_OPENAI_KEY', 'ORLOJ_SECRET_openai-key']);
  });

  it('addresses a non-default key with a suffix', () => {
    expect(secretEnvNames({ ...ref, key: 'api.token' })).toEqual(['ORCH_SECRET_OPENAI_KEY_API_TOKEN']);
  });
});

describe('resolveSecret', () => {
  const secrets = { 'team-a/openai-key': { value: 'from-manifest' } };

  it('prefers ORCH_SECRET_*, then ORLOJ_SECRET_*, then Secret manifests', () => {
    const env = { ORCH_SECRET_OPENAI_KEY: 'from-orch', 'ORLOJ_SECRET_openai-key': 'from-orloj' };
    expect(resolveSecret(ref, { env, secrets })).toBe('from-orch');
    expect(resolveSecret(ref, { env: { 'ORLOJ_SECRET_openai-key': 'from-orloj' }, secrets })).toBe('from-orloj');
    expect(resolveSecret(ref, { env: {}, secrets })).toBe('from-manifest');
  });

  it('treats an empty variable as unset', () => {
    expect(resolveSecret(ref, { env: { ORCH_SECRET_OPENAI_KEY: '' }, secrets })).toBe('from-manifest');
  });

  it('fails non-retryably with SECRET_NOT_FOUND naming the reference', () => {
    let caught: unknown;
    try {
      resolveSecret(ref, { env: {}, secrets: { 'team-a/openai-key': { other: 'x' } } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApplicationFailure);
    const failure = caught as ApplicationFailure;
    expect(failure.type).toBe('SECRET_NOT_FOUND');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('team-a/openai-key');
  });
});

describe('redaction', () => {
  it('masks known values, longest first, and credential-shaped tokens', () => {
    const redact = createRedactor(['abc123secret', 'abc123secret-long', undefined, '']);
    expect(redact('key=abc123secret-long and abc123secret')).toBe('key=*** and ***');
    expect(redact('Authorization: Bearer zzzzzzzzzzzz')).toBe('Authorization: Bearer ***');
    expect(redact('used sk-proj-ABCDEFGH1234')).toBe('used ***');
  });

  it('masks strings deep inside details', () => {
    const redact = createRedactor(['s3cr3t-value']);
    expect(redactDeep({ a: ['x s3cr3t-value'], b: { c: 's3cr3t-value' }, n: 1 }, redact)).toEqual({
      a: ['x ***'],
      b: { c: '***' },
      n: 1,
    });
  });
});
