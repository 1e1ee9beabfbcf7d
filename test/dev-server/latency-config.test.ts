/**
 * The embedded dev server starts with orch's latency settings: the dynamic config keys on
 * its command line (a caller's value for a key replacing orch's), and its SQLite file in
 * write-ahead-log mode with full syncs, read back from the file itself.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli, startDevServer } from '../../dev-server/index.ts';
import { LATENCY_DYNAMIC_CONFIG, SQLITE_PRAGMAS } from '../../dev-server/latency-config.ts';

let scratch: string;
let cli: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'orch-latency-config-'));
  const found = await findTemporalCli();
  if (!found) throw new Error('global setup should have provided the Temporal CLI');
  cli = found;
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `--flag value` pairs of a command line, for one flag. */
const flagValues = (args: readonly string[], flag: string) => args.flatMap((arg, i) => (arg === flag ? [args[i + 1]!] : []));

/** SQLite's header: bytes 18 and 19 (write and read format versions) are 2 in WAL mode, 1 with a rollback journal. */
function sqliteFormatVersions(file: string): [number, number] {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  return [header[18]!, header[19]!];
}

describe('the dev server latency settings', () => {
  it('passes every latency setting, with a caller value replacing orch’s, and keeps its SQLite file in WAL mode', async () => {
    const dbFile = path.join(scratch, 'temporal.db');
    const server = await startDevServer({ cli, port: 0, ui: false, dbFile, log: () => {}, stopGraceMs: 5000, dynamicConfig: { 'history.timerProcessorMaxPollRPS': 50 } });
    try {
      const values = flagValues(server.process.spawnargs, '--dynamic-config-value');
      const expected = { ...LATENCY_DYNAMIC_CONFIG, 'history.timerProcessorMaxPollRPS': 50 };
      expect(values.sort()).toEqual(Object.entries(expected).map(([key, value]) => `${key}=${JSON.stringify(value)}`).sort());
      expect(flagValues(server.process.spawnargs, '--sqlite-pragma').sort()).toEqual(Object.entries(SQLITE_PRAGMAS).map(([p, v]) => `${p}=${v}`).sort());
      expect(sqliteFormatVersions(dbFile)).toEqual([2, 2]);
    } finally {
      await server.stop();
    }
  });

  it('keeps a rollback journal when told to use no pragmas (what the benchmark compares against)', async () => {
    const dbFile = path.join(scratch, 'rollback.db');
    const server = await startDevServer({ cli, port: 0, ui: false, dbFile, log: () => {}, stopGraceMs: 5000, sqlitePragmas: {} });
    try {
      expect(flagValues(server.process.spawnargs, '--sqlite-pragma')).toEqual([]);
      expect(sqliteFormatVersions(dbFile)).toEqual([1, 1]);
    } finally {
      await server.stop();
    }
  });
});
