/**
 * The connection flags every command that talks to Temporal takes. Apart from
 * cli/temporal-target.ts (which loads the dev server and client code), so that declaring a
 * command loads neither: that waits until the command runs.
 */
import type { Command } from 'commander';
import type { TemporalConnectionFlags } from '../dev-server/index.ts';
import { CliError, EXIT } from './io.ts';

export type ConnectionFlags = TemporalConnectionFlags;

function nonEmpty(flag: string): (value: string) => string {
  return (value) => {
    if (value.trim() === '') throw new CliError(`${flag} must not be empty`, EXIT.usage);
    return value.trim();
  };
}

/** The flags of every command that connects to Temporal; each wins over the environment and the profile. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS, the profile\'s, else the local dev server)', nonEmpty('--address'))
    .option('--namespace <name>', 'Temporal namespace (default: $TEMPORAL_NAMESPACE, the profile\'s, else "default")', nonEmpty('--namespace'))
    .option('--profile <name>', 'profile of the Temporal config file ($TEMPORAL_CONFIG_FILE) (default: $TEMPORAL_PROFILE, else "default")', nonEmpty('--profile'));
}
