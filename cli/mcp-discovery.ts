/**
 * Compile-time MCP discovery for the CLI: the compiler asks, this connects. Servers get
 * their secrets the way a worker would give them (environment, then Secret manifests).
 */
import { validate, type DiscoverMcpTools } from '../compiler/index.ts';
import { discoverMcpTools } from '../activities/mcp-connections.ts';
import type { SecretValues } from '../contract/activity-io.ts';

/** A `discover` for the compiler, connecting from this process. */
export function cliDiscovery(env: NodeJS.ProcessEnv, secrets: SecretValues): DiscoverMcpTools {
  return (server) => discoverMcpTools(server, { env, secrets });
}

/**
 * Validates with discovery. Secret values come from the same manifests, so they are read
 * in a first pass (no I/O) before any server is started with them.
 */
export async function validateWithDiscovery(paths: string[], overrides: string[], env: NodeJS.ProcessEnv) {
  const { secrets } = await validate(paths, { overrides });
  return validate(paths, { overrides, discover: cliDiscovery(env, secrets) });
}
