/**
 * Installs the pinned Temporal CLI into `$ORCH_HOME/tools` unless a working copy is already
 * there, and prints its path on stdout (progress goes to stderr). CI runs this before the
 * tests: `ORCH_TEMPORAL_CLI="$(npx node cli/install-temporal.ts)"`.
 *
 * Usage: node cli/install-temporal.ts [--force]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installTemporalCli, orchHome, temporalToolsCliPath, TemporalServerError } from '../dev-server/index.ts';

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

async function main(argv: readonly string[]): Promise<number> {
  const force = argv.includes('--force');
  const home = orchHome();
  const local = temporalToolsCliPath(home);
  if (!force && existsSync(local) && spawnSync(local, ['--version'], { stdio: 'ignore' }).status === 0) {
    log(`orch: Temporal CLI already installed at ${local}`);
    process.stdout.write(`${local}\n`);
    return 0;
  }
  try {
    process.stdout.write(`${await installTemporalCli({ home, log })}\n`);
    return 0;
  } catch (error) {
    if (!TemporalServerError.is(error)) throw error;
    log(error.message);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
