/**
 * followHistory over a server's pages (a stand-in for the history service): each page's new
 * events once, whether they are where the history ends for now (`caughtUp`: a short or last
 * page), and the end.
 */
import { describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { followHistory } from '../../client/follow-history.ts';

function pagedClient(pages: { events: number; more: boolean }[]): Client {
  let next = 0;
  let id = 1;
  return {
    options: { namespace: 'default' },
    workflowService: {
      async getWorkflowExecutionHistory() {
        const page = pages[next++]!;
        const events = Array.from({ length: page.events }, () => ({ eventId: id++, eventType: 10 }));
        if (!page.more && events.length > 0) events[events.length - 1] = { eventId: id - 1, eventType: 2 };
        return { history: { events }, nextPageToken: page.more ? new Uint8Array([next]) : new Uint8Array() };
      },
    },
  } as unknown as Client;
}

describe('followHistory', () => {
  it('a long history read in full pages: caught up only at its last page; every event once', async () => {
    const growths = [];
    for await (const growth of followHistory(pagedClient([{ events: 1000, more: true }, { events: 1000, more: true }, { events: 10, more: false }]), 'w', 'r', { follow: false })) growths.push(growth);
    expect(growths.map((g) => [g.events.length, g.caughtUp, g.closed])).toEqual([
      [1000, false, false],
      [1000, false, false],
      [10, true, true],
    ]);
    expect(new Set(growths.flatMap((g) => g.events.map((e) => Number(e.eventId)))).size).toBe(2010);
  });

  it('followed: a short page is where the history ends for now, before the run has ended', async () => {
    const growths = [];
    for await (const growth of followHistory(pagedClient([{ events: 3, more: true }, { events: 2, more: false }]), 'w', 'r', { follow: true })) growths.push(growth);
    expect(growths.map((g) => [g.events.length, g.caughtUp, g.closed])).toEqual([
      [3, true, false],
      [2, true, true],
    ]);
  });
});
