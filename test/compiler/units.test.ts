/** Small pure pieces: Go-style durations, the derived camelCase aliases, JSON paths. */
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../compiler/durations.ts';
import { jsonPathProblem } from '../../compiler/json-path.ts';
import { canonicalKey } from '../../compiler/source-map.ts';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['2s', 2000],
    ['1m30s', 90_000],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['0s', 0],
    ['1ms', 1],
    ['1500us', 2],
    ['+5s', 5000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '10 minutes', '5d', '-1s', 's', '1.2.3s', 'ms10', '1m 30s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('canonicalKey', () => {
  it.each([
    ['modelRef', 'model_ref'],
    ['model_ref', 'model_ref'],
    ['tokenURL', 'token_url'],
    ['baseUrl', 'base_url'],
    ['secretRef', 'secret_ref'],
    ['stringData', 'string_data'],
    ['maxTokensPerRun', 'max_tokens_per_run'],
    ['quorumPercent', 'quorum_percent'],
    ['inputSchema', 'input_schema'],
  ])('%s -> %s', (key, canonical) => {
    expect(canonicalKey(key)).toBe(canonical);
  });
});

describe('jsonPathProblem (the paths the workflow reads)', () => {
  it.each(['$', '$.items', '$.results[0].urls', 'items', 'items.urls', '$[0]', '$.a-b.c_d', '$.items[12]'])('accepts %j', (path) => {
    expect(jsonPathProblem(path)).toBeNull();
  });

  it.each(['', ' ', '$.', '$..items', '$.items[*]', '$.items.*', "$['items']", '$items', '.items', '[0]', '$.items[-1]', 'items[0', 'a b', '$.a..b'])('rejects %j', (path) => {
    expect(jsonPathProblem(path)).not.toBeNull();
  });
});
