/** The compose file's dev server registers exactly orch's search attributes and starts with orch's latency settings. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ORCH_SEARCH_ATTRIBUTES } from '../../contract/search-attributes.ts';
import { LATENCY_DYNAMIC_CONFIG, SQLITE_PRAGMAS } from '../../dev-server/latency-config.ts';

function flagValues(flag: string): string[] {
  const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
    services: Record<string, { command?: string[] }>;
  };
  return Object.values(compose.services)
    .flatMap((service) => service.command ?? [])
    .filter((arg) => arg.startsWith(`${flag}=`))
    .map((arg) => arg.slice(flag.length + 1));
}

describe('docker-compose.yml', () => {
  it('registers every search attribute orch sets, with its type', () => {
    expect(flagValues('--search-attribute').sort()).toEqual(ORCH_SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.type}`).sort());
  });

  it("starts with the dynamic config and SQLite pragmas of orch's own dev server", () => {
    expect(flagValues('--dynamic-config-value').sort()).toEqual(Object.entries(LATENCY_DYNAMIC_CONFIG).map(([key, value]) => `${key}=${JSON.stringify(value)}`).sort());
    expect(flagValues('--sqlite-pragma').sort()).toEqual(Object.entries(SQLITE_PRAGMAS).map(([key, value]) => `${key}=${value}`).sort());
  });
});
