/**
 * The heavy parts of the CLI (compiler, Temporal client, dev server, MCP discovery), loaded
 * when a command first calls them rather than when the command is declared: `orch --help`
 * and `orch validate` then load only what they use, and no command loads the worker unless
 * it runs one. Each wrapper has the signature of what it wraps.
 */
import type * as Compiler from '../compiler/index.ts';
import type * as Discovery from './mcp-discovery.ts';
import type * as Target from './temporal-target.ts';
import type * as Audit from '../client/audit.ts';
import type * as Schedules from '../client/schedules.ts';
import type * as DevServer from '../dev-server/index.ts';
import type { OrchClient } from '../client/orch-client.ts';
import type { CliIo } from './io.ts';

type Args<F extends (...args: never[]) => unknown> = Parameters<F>;

export const compile = async (...args: Args<typeof Compiler.compile>) => (await import('../compiler/index.ts')).compile(...args);
export const validate = async (...args: Args<typeof Compiler.validate>) => (await import('../compiler/index.ts')).validate(...args);
export const compileSchedules = async (...args: Args<typeof Compiler.compileSchedules>) => (await import('../compiler/index.ts')).compileSchedules(...args);
export const validateWithDiscovery = async (...args: Args<typeof Discovery.validateWithDiscovery>) => (await import('./mcp-discovery.ts')).validateWithDiscovery(...args);

export const connectTemporal = async (...args: Args<typeof Target.connectTemporal>) => (await import('./temporal-target.ts')).connectTemporal(...args);
export async function reachTemporal<T>(target: Target.TemporalTarget, connect: () => Promise<T>): Promise<T> {
  return (await import('./temporal-target.ts')).reachTemporal(target, connect);
}
export const noteSearchAttributes = async (...args: Args<typeof Target.noteSearchAttributes>) => (await import('./temporal-target.ts')).noteSearchAttributes(...args);
export async function withOrchClient<T>(io: CliIo, flags: Target.ConnectionFlags, act: (client: OrchClient, target: Target.TemporalTarget) => Promise<T>): Promise<T> {
  return (await import('./temporal-target.ts')).withOrchClient(io, flags, act);
}

export const fetchAuditTrail = async (...args: Args<typeof Audit.fetchAuditTrail>) => (await import('../client/audit.ts')).fetchAuditTrail(...args);
export const applySchedules = async (...args: Args<typeof Schedules.applySchedules>) => (await import('../client/schedules.ts')).applySchedules(...args);
export const listSchedules = async (...args: Args<typeof Schedules.listSchedules>) => (await import('../client/schedules.ts')).listSchedules(...args);
export const deleteSchedule = async (...args: Args<typeof Schedules.deleteSchedule>) => (await import('../client/schedules.ts')).deleteSchedule(...args);
export const triggerSchedule = async (...args: Args<typeof Schedules.triggerSchedule>) => (await import('../client/schedules.ts')).triggerSchedule(...args);

export const backgroundServerStatus = async (...args: Args<typeof DevServer.backgroundServerStatus>) => (await import('../dev-server/index.ts')).backgroundServerStatus(...args);
export const stopBackgroundServer = async (...args: Args<typeof DevServer.stopBackgroundServer>) => (await import('../dev-server/index.ts')).stopBackgroundServer(...args);
export const ensureLocalServer = async (...args: Args<typeof DevServer.ensureLocalServer>) => (await import('../dev-server/index.ts')).ensureLocalServer(...args);
export const startDevServer = async (...args: Args<typeof DevServer.startDevServer>) => (await import('../dev-server/index.ts')).startDevServer(...args);
