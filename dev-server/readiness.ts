/** Waiting until a dev server that was just started can take runs. */
import { Connection } from '@temporalio/client';
import { ORCH_SEARCH_ATTRIBUTES } from '../contract/search-attributes.ts';
import { sleep, splitAddress, tcpOpen } from './probe.ts';
import { ensureSearchAttributes } from './search-attributes.ts';

/**
 * Polls until the frontend answers `GetSystemInfo`, the namespace is described and the
 * search attributes are listed (the CLI registers them just after the frontend comes up).
 */
export async function waitUntilReady(o: { address: string; namespace: string; attributes: string[]; deadline: number; hasExited: () => boolean }): Promise<void> {
  const { host, port } = splitAddress(o.address);
  let lastError: unknown = new Error('no answer yet');
  let connection: Connection | undefined;
  let namespaceReadyAt: number | undefined;
  try {
    while (Date.now() < o.deadline) {
      if (o.hasExited()) throw new Error('server process exited');
      try {
        if (!connection) {
          if (!(await tcpOpen(host, port, 250))) throw new Error(`nothing listens on ${o.address} yet`);
          connection = await Connection.connect({ address: o.address, connectTimeout: Math.max(500, Math.min(5000, o.deadline - Date.now())) });
        }
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: o.namespace });
        namespaceReadyAt ??= Date.now();
        const listed = await connection.operatorService.listSearchAttributes({ namespace: o.namespace });
        const missing = o.attributes.filter((name) => !(name in (listed.customAttributes ?? {})));
        if (missing.length === 0) return;
        // The CLI registers its --search-attribute flags only in a fresh database: a database
        // from an older orch lacks the attributes added since, so add them here.
        if (Date.now() - namespaceReadyAt > 1000) {
          await ensureSearchAttributes(connection, o.namespace, ORCH_SEARCH_ATTRIBUTES.filter((a) => missing.includes(a.name)));
        }
        throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
      } catch (error) {
        lastError = error;
      }
      await sleep(100);
    }
    throw lastError;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
