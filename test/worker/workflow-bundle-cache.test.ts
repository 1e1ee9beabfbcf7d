/**
 * A checkout's workflow bundle cache: reused across processes when its key and digest match,
 * rebuilt when the file was edited, truncated or made for other sources; never trusted.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { readCachedBundle, workflowSourcesKey, writeCachedBundle } from '../../worker/workflow-bundle-cache.ts';
import { cachedOrBuilt } from '../../worker/workflow-bundle.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'orch-bundle-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const checkout = fileURLToPath(new URL('../..', import.meta.url));

function fresh(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('bundle cache files', () => {
  it('reads back what it wrote, and nothing for another key', async () => {
    const dir = fresh('roundtrip');
    await writeCachedBundle(dir, 'k1', 'var a = 1;\n');
    expect(await readCachedBundle(dir, 'k1')).toBe('var a = 1;\n');
    expect(await readCachedBundle(dir, 'k2')).toBeNull();
  });

  it('an edited, truncated or headerless file is not trusted', async () => {
    const dir = fresh('tampered');
    await writeCachedBundle(dir, 'k', 'var workflows = "real";\n');
    const file = path.join(dir, 'workflow-bundle-k.js');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('real', 'evil'));
    expect(await readCachedBundle(dir, 'k')).toBeNull();
    writeFileSync(file, original.slice(0, original.length - 5));
    expect(await readCachedBundle(dir, 'k')).toBeNull();
    writeFileSync(file, original.split('\n').slice(1).join('\n'));
    expect(await readCachedBundle(dir, 'k')).toBeNull();
    writeFileSync(file, original);
    expect(await readCachedBundle(dir, 'k')).toBe('var workflows = "real";\n');
  });

  it('a new bundle replaces those of earlier sources, and leaves no temporary file', async () => {
    const dir = fresh('prune');
    await writeCachedBundle(dir, 'old', 'old');
    await writeCachedBundle(dir, 'new', 'new');
    expect(readdirSync(dir)).toEqual(['workflow-bundle-new.js']);
  });

  it('the key follows the sources of workflow code and nothing else', async () => {
    const root = fresh('sources');
    for (const layer of ['workflows', 'contract', 'validation', 'policies', 'cli']) {
      mkdirSync(path.join(root, layer, 'nested'), { recursive: true });
      writeFileSync(path.join(root, layer, 'nested', 'a.ts'), `export const layer = '${layer}';\n`);
    }
    const key = await workflowSourcesKey(root);
    expect(await workflowSourcesKey(root)).toBe(key);
    writeFileSync(path.join(root, 'cli', 'nested', 'a.ts'), 'changed');
    expect(await workflowSourcesKey(root)).toBe(key);
    writeFileSync(path.join(root, 'contract', 'nested', 'a.ts'), 'changed');
    const changed = await workflowSourcesKey(root);
    expect(changed).not.toBe(key);
    writeFileSync(path.join(root, 'policies', 'nested', 'b.ts'), '');
    expect(await workflowSourcesKey(root)).not.toBe(changed);
  });
});

describe('the checkout bundle', () => {
  const logger = new DefaultLogger('ERROR');

  it('is built once, reused from the cache, and rebuilt when the cached file was tampered with', async () => {
    const dir = fresh('checkout');
    const key = await workflowSourcesKey(checkout);
    const built = await cachedOrBuilt(logger, dir);
    expect(built.code).toContain('orchRun');
    expect(await readCachedBundle(dir, key)).toBe(built.code);

    // A valid cache entry is used as it is: no webpack run could produce this code.
    await writeCachedBundle(dir, key, 'var fromCache = true;\n');
    expect((await cachedOrBuilt(logger, dir)).code).toBe('var fromCache = true;\n');

    // An entry whose digest no longer matches is rebuilt, and the rebuilt one replaces it.
    const file = path.join(dir, `workflow-bundle-${key}.js`);
    writeFileSync(file, readFileSync(file, 'utf8').replace('true', 'false'));
    const rebuilt = await cachedOrBuilt(logger, dir);
    expect(rebuilt.code).not.toContain('fromCache');
    expect(rebuilt.code).toContain('orchRun');
    expect(await readCachedBundle(dir, key)).toBe(rebuilt.code);
  }, 180_000);
});
