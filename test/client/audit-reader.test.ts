/**
 * The incremental audit reader (`orch logs --follow` feeds it each page as the history grows)
 * says exactly what the whole-history audit says: over every recorded history, cut into pages
 * of every size, the events it settles plus those still open at the end are the audit trail;
 * and while a call runs, it is open.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { auditReader, auditTrail } from '../../client/audit.ts';

const DIR = 'test/fixtures/histories';
const recordings = readdirSync(DIR).filter((file) => file.endsWith('.json'));

describe('auditReader', () => {
  it.each(recordings)('%s: read in pages of 1, 2, 3, 7 and all events gives the audit trail', (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(`${DIR}/${file}`, 'utf8')));
    const events = history.events ?? [];
    const whole = auditTrail(history, { runId: 'r' });
    expect(whole.length).toBeGreaterThan(2);
    for (const size of [1, 2, 3, 7, events.length]) {
      const reader = auditReader({ runId: 'r' });
      const read = [];
      for (let at = 0; at < events.length; at += size) read.push(...reader.read(events.slice(at, at + size)));
      expect([...read, ...reader.open()].sort((a, b) => a.eventId - b.eventId), `pages of ${size}`).toEqual(whole);
    }
  });

  it('a call scheduled and not yet ended is open, as allowed; once it ends it is settled, and open no more', () => {
    const history = historyFromJSON(JSON.parse(readFileSync(`${DIR}/research-pipeline.json`, 'utf8')));
    const events = history.events ?? [];
    const scheduled = events.findIndex((event) => event.activityTaskScheduledEventAttributes);
    const closed = events.findIndex((event) => event.activityTaskCompletedEventAttributes);
    expect(scheduled).toBeGreaterThan(0);
    const reader = auditReader();
    reader.read(events.slice(0, scheduled + 1));
    expect(reader.open()).toMatchObject([{ kind: 'model.call', outcome: 'allowed', eventId: Number(events[scheduled]!.eventId) }]);
    const settled = reader.read(events.slice(scheduled + 1, closed + 1));
    expect(settled).toMatchObject([{ kind: 'model.call', outcome: 'succeeded', eventId: Number(events[closed]!.eventId) }]);
    expect(reader.open()).toEqual([]);
  });
});
