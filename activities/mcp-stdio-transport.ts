/**
 * An MCP stdio client transport that spawns the server with exactly the environment it
 * is given.
 *
 * Why not the SDK's `StdioClientTransport`: it always merges `getDefaultEnvironment()`
 * (HOME, LOGNAME, PATH, SHELL, TERM, USER) under the env it is passed, even an explicit
 * one, and it cannot be told not to. orch's contract is that a server sees only its
 * declared variables plus PATH. This transport is otherwise the same wire protocol
 * (newline-delimited JSON-RPC, the SDK's own ReadBuffer and serializer), and adds what the
 * pool needs: the child's stderr kept as a bounded tail (never copied to the worker's
 * stderr), its pid, and a fast, escalating close.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ReadBuffer } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { McpSdk } from './mcp-sdk.ts';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Keeps the last `max` bytes of a stream's text. */
export class TailBuffer {
  #text = '';
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  push(chunk: Buffer | string): void {
    this.#text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.#text.length > this.max * 2) this.#text = this.#text.slice(-this.max);
  }
  /** The tail, at most `limit` characters (default `max`), trimmed. */
  text(limit = this.max): string {
    return this.#text.slice(-Math.min(limit, this.max)).trim();
  }
}

export interface ChildProcessTransportOptions {
  /** The loaded MCP SDK (mcp-sdk.ts): its line framing. */
  sdk: Pick<McpSdk, 'ReadBuffer' | 'serializeMessage'>;
  command: string;
  args: string[];
  /** The child's entire environment. */
  env: Record<string, string>;
  cwd?: string;
  /** Where the child's stderr goes. */
  stderr: TailBuffer;
  /** Largest single message accepted (default: the SDK's 10 MB). */
  maxBufferSize?: number;
  /** How long `close()` waits after closing stdin before SIGTERM, then before SIGKILL. Default 1000 ms. */
  closeGraceMs?: number;
}

/** Every child still running, killed when the worker process exits. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Synchronous last resort: a worker that exits without closing its pool leaves no servers behind.
    process.once('exit', () => {
      for (const running of liveChildren) {
        try {
          running.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #options: ChildProcessTransportOptions;
  readonly #readBuffer: ReadBuffer;
  readonly #serialize: McpSdk['serializeMessage'];
  #child: ChildProcess | undefined;
  #exited = false;
  #closed = false;
  #exitStatus: string | null = null;

  constructor(options: ChildProcessTransportOptions) {
    this.#options = options;
    this.#serialize = options.sdk.serializeMessage;
    this.#readBuffer = new options.sdk.ReadBuffer(options.maxBufferSize !== undefined ? { maxBufferSize: options.maxBufferSize } : {});
  }

  /** The child's pid once started. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** True once the child has exited (or never started). */
  get exited(): boolean {
    return this.#exited;
  }

  /** `exit code N` or `killed by SIGNAL` once the child has exited. */
  get exitStatus(): string | null {
    return this.#exitStatus;
  }

  start(): Promise<void> {
    if (this.#child) throw new Error('ChildProcessTransport already started');
    const { command, args, env, cwd, stderr } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
        ...(cwd !== undefined ? { cwd } : {}),
      });
      this.#child = child;
      let spawned = false;
      child.once('error', (error) => {
        if (!spawned) {
          this.#exited = true;
          reject(error);
          return;
        }
        this.onerror?.(error);
      });
      child.once('spawn', () => {
        spawned = true;
        trackChild(child);
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.#exited = true;
        this.#exitStatus = signal ? `killed by ${signal}` : `exit code ${code}`;
      });
      child.once('close', () => {
        this.#exited = true;
        this.#readBuffer.clear();
        if (!this.#closed) {
          this.#closed = true;
          this.onclose?.();
        }
      });
      child.stdin?.on('error', (error) => this.onerror?.(error));
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.#readBuffer.append(chunk);
          this.#drain();
        } catch (error) {
          this.onerror?.(error as Error);
          void this.close();
        }
      });
      child.stdout?.on('error', (error) => this.onerror?.(error));
      child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.stderr?.on('error', () => {});
    });
  }

  #drain(): void {
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#readBuffer.readMessage();
      } catch (error) {
        // A line that is not JSON-RPC (a server logging to stdout): report, keep reading.
        this.onerror?.(error as Error);
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#exited || stdin.destroyed || !stdin.writable) {
      return Promise.reject(new Error(`MCP server process is not running${this.#exitStatus ? ` (${this.#exitStatus})` : ''}`));
    }
    return new Promise<void>((resolve, reject) => {
      const ok = stdin.write(this.#serialize(message), (error) => {
        if (error) reject(error);
      });
      if (ok) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Closes stdin, then escalates SIGTERM → SIGKILL if the child lingers. Resolves when it has exited. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child || this.#exited) {
      if (!this.#closed) {
        this.#closed = true;
        this.onclose?.();
      }
      return;
    }
    const grace = this.#options.closeGraceMs ?? 1000;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const wait = (ms: number) =>
      Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
    try {
      child.stdin?.end();
    } catch {
      // ignore
    }
    if (await wait(grace)) return;
    child.kill('SIGTERM');
    if (await wait(grace)) return;
    child.kill('SIGKILL');
    await wait(grace);
  }
}
