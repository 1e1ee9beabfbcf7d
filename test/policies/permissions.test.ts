/** Orloj's permission-string rules (`runtime/tool_authorizer.go`), one table each. */
import { describe, expect, it } from 'vitest';
import {
  defaultRequiredPermissions,
  grantedPermissions,
  matchPermissions,
  normalizePermission,
  normalizePermissionToken,
} from '../../policies/permissions.ts';

describe('normalizePermission', () => {
  it.each([
    ['tool:search:invoke', 'tool:search:invoke'],
    ['  Tool:Search:INVOKE ', 'tool:search:invoke'],
    ['tool:my-tool:invoke', 'tool:my_tool:invoke'],
    ['tool: my tool :invoke', 'tool:mytool:invoke'],
    ['capability:fs/read', 'capability:fs_read'],
    ['capability:fs\\read', 'capability:fs_read'],
    ['capability:web.read', 'capability:web.read'],
    ['   ', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalizePermission(input)).toBe(expected);
  });
});

describe('normalizePermissionToken', () => {
  it.each([
    ['rt-gov-search-tool', 'rt_gov_search_tool'],
    ['Net Access', 'net_access'],
    ['fs--write-file', 'fs__write_file'],
    ['_:trimmed:_', 'trimmed'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(normalizePermissionToken(input)).toBe(expected);
  });
});

describe('defaultRequiredPermissions', () => {
  it.each([
    ['search', [], 'invoke', ['tool:search:invoke']],
    ['web-search', ['web.read', 'Net Access'], 'invoke', ['tool:web_search:invoke', 'capability:web.read', 'capability:net_access']],
    ['search', ['a', 'A', 'a'], 'invoke', ['tool:search:invoke', 'capability:a']],
    ['search', [], '', ['tool:search:invoke']],
    ['search', [], 'Execute', ['tool:search:execute']],
  ] as const)('%s %j %s', (toolName, capabilities, action, expected) => {
    expect(defaultRequiredPermissions(toolName, capabilities, action)).toEqual(expected);
  });
});

describe('matchPermissions', () => {
  const granted = grantedPermissions([['Tool:Search:Invoke'], ['capability:web-read', ' ']]);
  it('grants are the normalized union of the roles', () => {
    expect([...granted].sort()).toEqual(['capability:web_read', 'tool:search:invoke']);
  });
  it.each([
    ['all', ['tool:search:invoke', 'capability:web_read'], true, []],
    ['all', ['tool:search:invoke', 'capability:admin', 'capability:admin'], false, ['capability:admin']],
    ['all', [], true, []],
    ['any', ['capability:admin', 'capability:WEB-READ'], true, []],
    ['any', [], true, []],
    ['any', ['capability:admin', 'capability:root'], false, ['capability:admin', 'capability:root']],
  ] as const)('%s of %j', (mode, required, ok, missing) => {
    expect(matchPermissions(granted, required, mode)).toEqual({ ok, missing });
  });
});
