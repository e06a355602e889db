import { describe, expect, it } from 'vitest';
import { lossLine } from './lossLine.js';

describe('lossLine', () => {
  it('says nothing was lost', () => {
    expect(lossLine({ total: 0, entries: [] })).toBe('Nothing lost.');
  });

  it('says how many events were lost, then each node and reason in the order given (most first)', () => {
    expect(
      lossLine({
        total: 5_212_120,
        entries: [
          { node: 'history', type: 'postgres', kind: 'sink', reason: 'buffer_full', count: 5_212_113 },
          { node: 'osc', type: 'osc', kind: 'sink', reason: 'send_failed', count: 7 },
        ],
      }),
    ).toBe('Lost 5,212,120 events: history buffer_full 5,212,113, osc send_failed 7.');
  });

  it('speaks of one event in the singular', () => {
    expect(lossLine({ total: 1, entries: [{ node: 'out', type: 'file', kind: 'sink', reason: 'flush_timeout', count: 1 }] })).toBe(
      'Lost 1 event: out flush_timeout 1.',
    );
  });
});
