/**
 * Vitest global setup: ONE Temporal dev server for the whole run, shared by every
 * integration test file through `inject('temporalAddress')` (see `helpers/temporal.ts`).
 *
 * In memory, headless, on free ports, so parallel runs and a developer's own
 * `orch server` on 7233 never collide. Finds the pinned CLI (ORCH_TEMPORAL_CLI, PATH,
 * `$ORCH_HOME/tools/bin`), or installs it into `$ORCH_HOME/tools` on first use; the server
 * keeps nothing on disk. Set ORCH_TEST_TEMPORAL_ADDRESS to reuse a running server instead
 * (orch's search attributes are registered on it when missing).
 */
import type { TestProject } from 'vitest/node';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes, ensureTemporalCli, startDevServer } from '../dev-server/index.ts';
// The `ProvidedContext` augmentation for 'temporalAddress' lives in helpers/temporal.ts.

const log = (message: string): void => {
  process.stderr.write(`[temporal] ${message}\n`);
};

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const existing = process.env.ORCH_TEST_TEMPORAL_ADDRESS?.trim();
  if (existing) {
    const connection = await Connection.connect({ address: existing, connectTimeout: 5000 });
    try {
      await ensureSearchAttributes(connection, 'default');
    } finally {
      await connection.close();
    }
    project.provide('temporalAddress', existing);
    return undefined;
  }

  // The test suite's own env must not redirect it: a developer's TEMPORAL_ADDRESS (say, a
  // Cloud namespace) is for `orch`, not for tests.
  const started = Date.now();
  const cli = await ensureTemporalCli({ log });
  // startDevServer's own latency settings (dev-server/latency-config.ts): tests run what users run.
  const server = await startDevServer({ cli, port: 0, ui: false, dbFile: null, log, stopGraceMs: 5000 });
  log(`dev server at ${server.address} (in memory, ready in ${Date.now() - started} ms)`);
  project.provide('temporalAddress', server.address);
  return () => server.stop();
}
