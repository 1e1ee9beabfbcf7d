import { describe, expect, it } from 'vitest';
import { historyLimitReached, jsonBytes, MAX_HISTORY_BYTES, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '../../workflows/payload-size.ts';

describe('payload size', () => {
  it('counts JSON as UTF-8 bytes, as the payload converter writes it', () => {
    for (const value of ['plain', 'é', '€ and 中文', '😀 a pair', { nested: ['ü', 1, null] }, '\u0000 control', '\ud800 lone']) {
      expect(jsonBytes(value)).toBe(Buffer.byteLength(JSON.stringify(value), 'utf8'));
    }
  });

  it('keeps the bounds below what Temporal enforces (2 MiB payloads; 51,200 events, 50 MiB of history)', () => {
    expect(MAX_PAYLOAD_BYTES).toBeLessThan(2 * 1024 * 1024);
    expect(MAX_HISTORY_EVENTS).toBeLessThan(51_200);
    expect(MAX_HISTORY_BYTES).toBeLessThan(50 * 1024 * 1024);
  });

  it('says why a history is at a limit, by events or by bytes', () => {
    expect(historyLimitReached({ historyLength: MAX_HISTORY_EVENTS - 1, historySize: MAX_HISTORY_BYTES - 1 })).toBeNull();
    expect(historyLimitReached({ historyLength: MAX_HISTORY_EVENTS, historySize: 0 })).toMatch(/40000 events/);
    expect(historyLimitReached({ historyLength: 10, historySize: MAX_HISTORY_BYTES })).toMatch(/bytes/);
  });
});
