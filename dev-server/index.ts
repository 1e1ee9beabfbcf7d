/**
 * The embedded Temporal dev server (`orch/dev-server`): finds or installs the Temporal CLI,
 * starts a dev server with orch's search attributes, and resolves where to connect.
 */
export {
  ensureTemporalServer,
  startDevServer,
  resolveTemporalConnection,
  connectionOptions,
  ensureSearchAttributes,
  TemporalServerError,
} from './temporal-server.ts';
export type { DevServer, DevServerOptions, EnsureTemporalServerOptions, TemporalServerHandle, TemporalConnectionConfig } from './temporal-server.ts';
