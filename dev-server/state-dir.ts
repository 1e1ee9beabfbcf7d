/**
 * Where orch keeps its local state: `ORCH_HOME`, else `$XDG_STATE_HOME/orch`, else
 * `~/.local/state/orch`. Never inside the package: installed, that is `node_modules/orch`,
 * which `npm ci` deletes, and a repository checkout is no place for a database either.
 *
 *   tools/bin/temporal   the pinned Temporal CLI (a Python venv, or a GOBIN)
 *   temporal.db          the dev server's SQLite database (`orch run`'s and `orch server`'s)
 *   temporal.log         what the background dev server prints
 *   server.json          the background dev server: pid, address, Web UI, database
 *   server.lock          held while a process starts the background dev server
 */
import { homedir } from 'node:os';
import path from 'node:path';

export function orchHome(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.ORCH_HOME?.trim();
  if (explicit) return path.resolve(explicit);
  const xdg = env.XDG_STATE_HOME?.trim();
  // The XDG spec: a relative path is invalid and is ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'orch');
  return path.join(homedir(), '.local', 'state', 'orch');
}

export interface OrchStatePaths {
  home: string;
  tools: string;
  dbFile: string;
  logFile: string;
  serverRecord: string;
  startLock: string;
}

export function statePaths(home: string): OrchStatePaths {
  return {
    home,
    tools: path.join(home, 'tools'),
    dbFile: path.join(home, 'temporal.db'),
    logFile: path.join(home, 'temporal.log'),
    serverRecord: path.join(home, 'server.json'),
    startLock: path.join(home, 'server.lock'),
  };
}
