/**
 * The background dev server `orch run` leaves running: recorded in $ORCH_HOME/server.json,
 * reused through the record, reported, and stopped (gracefully, else forcefully), with a
 * record of a dead or reused pid never acted on. Each test has its own ORCH_HOME and ports.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backgroundServerStatus,
  ensureLocalServer,
  findTemporalCli,
  probeTemporal,
  statePaths,
  stopBackgroundServer,
  type BackgroundServerRecord,
} from '../../dev-server/index.ts';
import { writeServerRecord } from '../../dev-server/server-record.ts';
import { withStartLock } from '../../dev-server/start-lock.ts';
import { isAlive, waitFor } from '../helpers/processes.ts';

let scratch: string;
let cli: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'orch-background-'));
  const found = await findTemporalCli();
  if (!found) throw new Error('global setup should have provided the Temporal CLI');
  cli = found;
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const fakeRecord = (pid: number): BackgroundServerRecord => ({
  pid,
  address: '127.0.0.1:1',
  uiUrl: null,
  namespace: 'default',
  dbFile: null,
  logFile: path.join(scratch, 'fake.log'),
  cli,
  startedAt: new Date().toISOString(),
});

describe('the background dev server', () => {
  it('is recorded when started detached, found through the record, and stopped', async () => {
    const home = path.join(scratch, 'lifecycle');
    const paths = statePaths(home);
    const started = await ensureLocalServer({ cli, home, env: { PATH: '' }, detached: true, port: 0, ui: false, log: () => {} });
    try {
      expect(started.started).toBe(true);
      expect(existsSync(paths.serverRecord)).toBe(true);
      expect(existsSync(paths.startLock)).toBe(false);
      expect(started.server?.dbFile).toBe(paths.dbFile);
      expect(started.server?.logFile).toBe(paths.logFile);

      // A later command, with no port of its own, finds it wherever it listens.
      const again = await ensureLocalServer({ cli: '/nonexistent/temporal', home, env: { PATH: '' }, log: () => {} });
      expect(again).toMatchObject({ address: started.address, started: false });

      const status = await backgroundServerStatus({ home });
      expect(status).toMatchObject({ state: 'running', orchHome: home, server: { address: started.address, pid: started.server?.process.pid, dbFile: paths.dbFile } });
    } finally {
      const stopped = await stopBackgroundServer({ home });
      expect(stopped).toMatchObject({ stopped: { address: started.address }, forced: false });
    }
    expect(await probeTemporal(started.address)).toBe('closed');
    expect(existsSync(paths.serverRecord)).toBe(false);
    expect((await backgroundServerStatus({ home })).state).toBe('stopped');
    expect(await stopBackgroundServer({ home })).toEqual({ stopped: null, forced: false, orchHome: home });
  });

  it('a server that ignores SIGTERM is killed after the grace period', async () => {
    const home = path.join(scratch, 'stubborn');
    // Looks like a dev server to the pid check (its command line has `start-dev`), ignores SIGTERM.
    // It touches READY once its trap is set: a SIGTERM sent before that would simply kill it.
    const ready = path.join(scratch, 'stubborn.ready');
    const child = spawn('sh', ['-c', 'trap "" TERM; touch "$READY"; while :; do sleep 1; done', 'server', 'start-dev'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, READY: ready },
    });
    const pid = child.pid!;
    await waitFor(() => isAlive(pid) && existsSync(ready), 5_000, 'the stubborn process to ignore SIGTERM');
    writeServerRecord(statePaths(home).serverRecord, fakeRecord(pid));
    expect((await backgroundServerStatus({ home })).state).toBe('not_answering');
    const result = await stopBackgroundServer({ home, graceMs: 300 });
    expect(result).toMatchObject({ stopped: { pid }, forced: true });
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(statePaths(home).serverRecord)).toBe(false);
  });

  it('a record of a dead process, or of a pid now used by another program, is dropped and nothing is signalled', async () => {
    const home = path.join(scratch, 'stale');
    const file = statePaths(home).serverRecord;
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    writeServerRecord(file, fakeRecord(gone.pid!));
    expect(await backgroundServerStatus({ home })).toEqual({ state: 'stopped', orchHome: home, server: null });
    expect(existsSync(file)).toBe(false);

    // This test process is alive, and is no dev server: it must survive `stop`.
    writeServerRecord(file, fakeRecord(process.pid));
    expect(await stopBackgroundServer({ home })).toMatchObject({ stopped: null });
    expect(existsSync(file)).toBe(false);
  });
});

describe('the start lock', () => {
  it('lets one process start at a time, and is released after a failed start', async () => {
    const lock = path.join(scratch, 'lock', 'server.lock');
    const events: string[] = [];
    const hold = (name: string, ms: number) =>
      withStartLock(lock, async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`${name} out`);
      });
    await Promise.all([hold('a', 300), hold('b', 10)]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    await expect(withStartLock(lock, async () => Promise.reject(new Error('start failed')))).rejects.toThrow('start failed');
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock left by a process that died', async () => {
    const lock = path.join(scratch, 'left-over', 'server.lock');
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(lock, String(gone.pid));
    const started = Date.now();
    expect(await withStartLock(lock, async () => 'taken')).toBe('taken');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
