/**
 * A pgvector Memory's database password from `auth.secretRef`: resolved inside the activity, put
 * into the connection only when the connection string carries none (as Orloj), sent to exactly
 * the database the loaded Memory declares (user, host, port, database and parameters), and never
 * in a failure's message. A real PostgreSQL wire exchange proves what reaches the server.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, describe, expect, it } from 'vitest';
import { createCallMemory } from '../../activities/call-memory.ts';
import { activityRuntime } from '../../activities/deps.ts';
import { pgliteDatabase, withPassword } from '../../activities/memory-databases.ts';
import { databaseTarget } from '../../activities/secret-destinations.ts';
import type { MemoryCallRequest } from '../../contract/memory-io.ts';
import type { JsonValue, MemoryToolName, PlanMemory } from '../../contract/plan.ts';
import { MockActivityEnvironment } from '../helpers/mock-activity-environment.ts';

const PASSWORD = 'pg-secret-c41e9d07';
const secretRef = { namespace: 'team', name: 'pg-password', key: 'value' };

/** A PostgreSQL server that asks for a cleartext password, records it, and hangs up. */
async function passwordTrap(): Promise<{ server: Server; port: number; passwords: string[]; connections: () => number }> {
  const passwords: string[] = [];
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!started && buffer.length >= 8 && buffer.length >= buffer.readInt32BE(0)) {
        started = true;
        buffer = buffer.subarray(buffer.readInt32BE(0));
        // AuthenticationCleartextPassword.
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      }
      if (started && buffer.length >= 5 && buffer[0] === 0x70 && buffer.length >= 1 + buffer.readInt32BE(1)) {
        passwords.push(buffer.subarray(5, buffer.readInt32BE(1)).toString('utf8').replace(/\0$/, ''));
        socket.destroy();
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, passwords, connections: () => connections };
}

function plan(endpoint: string): PlanMemory {
  return { id: { namespace: 'team', name: 'notes' }, type: 'keyword', provider: 'pgvector', endpoint, secretRef, embeddingModel: null, maxEntries: 10, maxBytes: 1000 };
}

function runtimeDeclaring(declared: string) {
  return activityRuntime({ env: {}, secrets: { 'team/pg-password': { value: PASSWORD } }, manifests: { memories: [plan(declared)] } });
}

function call(runtime: ReturnType<typeof runtimeDeclaring>, memory: PlanMemory, name: MemoryToolName, input: JsonValue, activityId = 'a-1') {
  const request: MemoryCallRequest = { agent: 'scribe', step: 1, memoryKey: 'team/notes', memory, call: { id: 'c', name, input } };
  return new MockActivityEnvironment({ activityId }).run(createCallMemory(runtime), request);
}

const traps: Server[] = [];
afterAll(async () => {
  for (const trap of traps) await new Promise((resolve) => trap.close(resolve));
});

describe('the pgvector password', () => {
  it('goes into the connection string only when it carries none', () => {
    expect(withPassword('postgres://orch@db.internal:5432/memory', 'p@ss:w/rd')).toBe('postgres://orch:p%40ss%3Aw%2Frd@db.internal:5432/memory');
    expect(withPassword('postgres://orch:own@db.internal/memory', PASSWORD)).toBe('postgres://orch:own@db.internal/memory');
    expect(withPassword('postgres://orch@db.internal/memory?password=own', PASSWORD)).toBe('postgres://orch@db.internal/memory?password=own');
    expect(withPassword('postgres://orch@db.internal/memory', undefined)).toBe('postgres://orch@db.internal/memory');
  });

  it('a database is one destination: scheme spelling and password aside, every part counts', () => {
    expect(databaseTarget('postgres://orch@DB.internal/memory')).toBe(databaseTarget('postgresql://orch:x@db.internal:5432/memory'));
    for (const other of ['postgres://admin@db.internal/memory', 'postgres://orch@db.internal:5433/memory', 'postgres://orch@db.internal/other', 'postgres://orch@db.internal/memory?host=evil.example']) {
      expect(databaseTarget(other)).not.toBe(databaseTarget('postgres://orch@db.internal/memory'));
    }
    expect(databaseTarget('https://db.internal/memory')).toBeNull();
  });

  it('reaches the database that asks for it, and is not in the failure when it hangs up', async () => {
    const trap = await passwordTrap();
    traps.push(trap.server);
    const endpoint = `postgres://orch@127.0.0.1:${trap.port}/memory`;
    const runtime = runtimeDeclaring(endpoint);
    try {
      const failure = await call(runtime, plan(endpoint), 'memory.read', { key: 'k' }).catch((e: unknown) => e);
      expect(trap.passwords).toEqual([PASSWORD]);
      expect(failure).toMatchObject({ type: 'TOOL_UNAVAILABLE', nonRetryable: false });
      expect(JSON.stringify(failure)).not.toContain(PASSWORD);
      expect(String((failure as Error).message)).not.toContain(PASSWORD);
    } finally {
      await runtime.close();
    }
  });

  it('a Memory aiming it at another database (another port, a ?host= parameter) is refused before connecting', async () => {
    const trap = await passwordTrap();
    traps.push(trap.server);
    const runtime = runtimeDeclaring('postgres://orch@db.internal:5432/memory');
    try {
      for (const endpoint of [`postgres://orch@127.0.0.1:${trap.port}/memory`, `postgres://orch@db.internal:5432/memory?host=127.0.0.1&port=${trap.port}`]) {
        const failure = await call(runtime, plan(endpoint), 'memory.list', {}).catch((e: unknown) => e);
        expect(failure).toMatchObject({ type: 'SECRET_DESTINATION_DENIED', nonRetryable: true });
        expect(String((failure as Error).message)).not.toContain(PASSWORD);
      }
      expect(trap.connections()).toBe(0);
    } finally {
      await runtime.close();
    }
  });

  it('a missing secret is SECRET_NOT_FOUND; with it, pg over a socket works as before', async () => {
    const backing = await pgliteDatabase();
    const server = new PGLiteSocketServer({ db: backing.pglite, port: 0, host: '127.0.0.1' });
    await server.start();
    const endpoint = `postgres://postgres@${server.getServerConn()}/postgres`;
    const runtime = runtimeDeclaring(endpoint);
    const bare = activityRuntime({ env: {}, manifests: { memories: [plan(endpoint)] } });
    try {
      await expect(call(bare, plan(endpoint), 'memory.read', { key: 'k' })).rejects.toMatchObject({ type: 'SECRET_NOT_FOUND', nonRetryable: true });
      expect((await call(runtime, plan(endpoint), 'memory.write', { key: 'k', value: 'v' }, 'w-1')).output).toEqual({ status: 'ok', key: 'k' });
      expect((await call(runtime, plan(endpoint), 'memory.read', { key: 'k' })).output).toEqual({ found: true, key: 'k', value: 'v' });
    } finally {
      await runtime.close();
      await bare.close();
      await server.stop();
      await backing.close();
    }
  }, 60_000);
});
