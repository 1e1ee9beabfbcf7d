/**
 * The embedded Temporal dev server (`orch/dev-server`): finds or installs the Temporal CLI,
 * starts a dev server with orch's search attributes (in the foreground, or in the background
 * for later runs, with its state under `ORCH_HOME`), and resolves where to connect by
 * Temporal's own conventions (config file profiles, `TEMPORAL_*`).
 */
export { ensureTemporalServer, ensureLocalServer } from './background.ts';
export type { EnsureTemporalServerOptions, TemporalServerHandle } from './background.ts';
export { backgroundServerStatus, stopBackgroundServer } from './background-control.ts';
export type { BackgroundServerStatus, StopBackgroundServerOptions, StopBackgroundServerResult } from './background-control.ts';
export { startDevServer } from './dev-server.ts';
export type { DevServer, DevServerOptions } from './dev-server.ts';
export { resolveTemporalConnection, loadTemporalSettings, connectionOptions } from './connection.ts';
export type { TemporalConnectionConfig, TemporalConnectionFlags, TemporalConnectionOptions, TemporalSettings, ResolveConnectionOptions } from './connection.ts';
export { ensureSearchAttributes, missingSearchAttributes } from './search-attributes.ts';
export { findTemporalCli, temporalToolsCliPath, TEMPORAL_CLI_GO_VERSION, TEMPORAL_CLI_PYPI_VERSION } from './temporal-cli.ts';
export { ensureTemporalCli, installTemporalCli } from './install-temporal-cli.ts';
export { orchHome, statePaths, type OrchStatePaths } from './state-dir.ts';
export type { BackgroundServerRecord } from './server-record.ts';
export type { TemporalToolOptions } from './tool-options.ts';
export { probeTemporal, findFreePort } from './probe.ts';
export { DEFAULT_TEMPORAL_IP, DEFAULT_TEMPORAL_NAMESPACE, DEFAULT_TEMPORAL_PORT, DEFAULT_TEMPORAL_UI_PORT } from './defaults.ts';
export { TemporalServerError, type TemporalServerErrorCode } from './errors.ts';
