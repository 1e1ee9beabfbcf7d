/**
 * A source checkout's workflow bundle, kept on disk between processes so a second `orch run`
 * skips webpack. The key is a digest of everything the bundle is made of: the files of the
 * layers workflow code may import (test/architecture/layering.test.ts holds it to them) and
 * the versions of the Temporal packages that bundle and run it. A cached file carries a digest
 * of its own code and is used only when that digest matches: a truncated or edited file is
 * rebuilt, never loaded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What workflow code is made of: workflows/ and the layers it may import. */
const SOURCE_LAYERS = ['workflows', 'contract', 'validation', 'policies'];
/** The packages that bundle it (worker) and that it bundles (workflow, common). */
const BUNDLE_PACKAGES = ['@temporalio/worker', '@temporalio/workflow', '@temporalio/common'];
const HEADER = '// orch workflow bundle sha256=';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

async function packageVersion(root: string, name: string): Promise<string> {
  const text = await readFile(path.join(root, 'node_modules', name, 'package.json'), 'utf8').catch(() => '{}');
  return String((JSON.parse(text) as { version?: unknown }).version ?? 'absent');
}

/** The digest of the bundle's inputs under the checkout at `root`. */
export async function workflowSourcesKey(root: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of BUNDLE_PACKAGES) hash.update(`${name}@${await packageVersion(root, name)}\0`);
  const files = (await Promise.all(SOURCE_LAYERS.map((layer) => filesUnder(path.join(root, layer))))).flat().sort();
  for (const file of files) {
    hash.update(`${path.relative(root, file)}\0`);
    hash.update(await readFile(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function digestOf(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/** The cached code for `key`, or null when there is none or it does not match its own digest. */
export async function readCachedBundle(dir: string, key: string): Promise<string | null> {
  const text = await readFile(path.join(dir, `workflow-bundle-${key}.js`), 'utf8').catch(() => null);
  if (text === null || !text.startsWith(HEADER)) return null;
  const newline = text.indexOf('\n');
  if (newline < 0) return null;
  const code = text.slice(newline + 1);
  return text.slice(HEADER.length, newline) === digestOf(code) ? code : null;
}

/**
 * Writes the code for `key` atomically (a temporary file renamed into place), so a process
 * reading it concurrently sees either no file or the whole one. A cache that cannot be
 * written (read-only checkout, full disk) only costs the next process a rebuild.
 */
export async function writeCachedBundle(dir: string, key: string, code: string): Promise<void> {
  const target = path.join(dir, `workflow-bundle-${key}.js`);
  const temporary = `${target}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temporary, `${HEADER}${digestOf(code)}\n${code}`);
    await rename(temporary, target);
    // Bundles of earlier sources are never read again.
    for (const name of await readdir(dir)) {
      if (name.startsWith('workflow-bundle-') && name.endsWith('.js') && path.join(dir, name) !== target) await rm(path.join(dir, name), { force: true });
    }
  } catch {
    await rm(temporary, { force: true }).catch(() => {});
  }
}
