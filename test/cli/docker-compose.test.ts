/** The compose file's dev server registers exactly orch's search attributes. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ORCH_SEARCH_ATTRIBUTES } from '../../contract/search-attributes.ts';

describe('docker-compose.yml', () => {
  it('registers every search attribute orch sets, with its type', () => {
    const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
      services: Record<string, { command?: string[] }>;
    };
    const flags = Object.values(compose.services)
      .flatMap((service) => service.command ?? [])
      .filter((arg) => arg.startsWith('--search-attribute='))
      .map((arg) => arg.slice('--search-attribute='.length));
    expect(flags.sort()).toEqual(ORCH_SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.type}`).sort());
  });
});
