/**
 * An in-process PGlite served on a loopback socket, for tests of code that reaches PostgreSQL
 * through `pg`: started before the file's tests, stopped after them.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll } from 'vitest';

export interface PgliteSocket {
  /** The database itself, for checks behind the code under test. */
  readonly db: PGlite;
  /** A `postgres://` URL to it (the socket server takes one connection at a time). */
  readonly url: string;
}

export function pgliteSocket(): PgliteSocket {
  const socket = {} as { db: PGlite; url: string; server: PGLiteSocketServer };
  beforeAll(async () => {
    socket.db = await PGlite.create();
    socket.server = new PGLiteSocketServer({ db: socket.db, port: 0, host: '127.0.0.1' });
    await socket.server.start();
    socket.url = `postgres://postgres@${socket.server.getServerConn()}/postgres?sslmode=disable`;
  });
  afterAll(async () => {
    await socket.server?.stop();
    await socket.db?.close();
  });
  return socket;
}
