/** What listens where: TCP checks, free ports, and whether an address answers as Temporal. */
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { DEFAULT_TEMPORAL_IP, DEFAULT_TEMPORAL_PORT } from './defaults.ts';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match) return { host: address, port: DEFAULT_TEMPORAL_PORT };
  return { host: match[1] ?? address, port: Number(match[2]) };
}

/** The host to dial (and show) for a bind address: a wildcard bind is reached on loopback. */
export function formatHost(ip: string): string {
  const host = ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  return host.includes(':') ? `[${host}]` : host;
}

/** True when something accepts TCP connections at host:port. */
export function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when nothing listens on ip:port (we could bind it). */
export function portFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS considers free on `ip` right now. */
export function findFreePort(ip: string = DEFAULT_TEMPORAL_IP): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: ip, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

/**
 * What answers at `address`: a Temporal frontend, something else, or nothing.
 * Cheap when nothing listens (one refused TCP connect).
 */
export async function probeTemporal(address: string, timeoutMs = 3000): Promise<'temporal' | 'other' | 'closed'> {
  const { host, port } = splitAddress(address);
  if (!(await tcpOpen(host, port, Math.min(timeoutMs, 1000)))) return 'closed';
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.workflowService.getSystemInfo({});
    return 'temporal';
  } catch {
    return 'other';
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** True when an HTTP server answers at `url` (the Web UI of a server orch did not start). */
export async function httpAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}
