import { describe, expect, it } from 'vitest';
import { dueMs, PACED_PREFIX, type PacedResult, pacedFailures, partsOf } from './pacedCopy.js';

const lines = (table: string, n: number) => Array.from({ length: n }, (_, i) => `${table}-${i}`);

describe('partsOf', () => {
  it('splits every table in proportion, each row in exactly one part, in order', () => {
    const dump = { messages: 10_000, tables: new Map([['chat_messages', lines('c', 10_000)], ['commands', lines('k', 2_001)]]) };
    const parts = partsOf(dump, 2500);
    expect(parts).toHaveLength(4);
    const rows = (table: string) => parts.flatMap((p) => p.filter((t) => t.table === `${PACED_PREFIX}${table}`).flatMap((t) => t.text.slice(0, -1).split('\n')));
    expect(rows('chat_messages')).toEqual(lines('c', 10_000));
    expect(rows('commands')).toEqual(lines('k', 2_001));
    expect(parts[0]?.find((t) => t.table === `${PACED_PREFIX}chat_messages`)?.text.split('\n')).toHaveLength(2501);
  });

  it('leaves out a table with no row in a part', () => {
    const parts = partsOf({ messages: 5000, tables: new Map([['chat_messages', lines('c', 5000)], ['alerts', ['a']]]) }, 2500);
    expect(parts.map((p) => p.map((t) => t.table))).toEqual([['paced_copy_chat_messages'], ['paced_copy_chat_messages', 'paced_copy_alerts']]);
  });
});

describe('dueMs', () => {
  it('spaces the parts evenly at the rate', () => {
    expect(dueMs(0, 100_000, 2500)).toBe(0);
    expect(dueMs(40, 100_000, 2500)).toBe(1000);
  });
});

describe('pacedFailures', () => {
  const kept: PacedResult = { rate: 100_000, windowMs: 5000, partsNeeded: 200, partsDue: 200, partsCommitted: 198, messagesCommitted: 495_000, clientCpuMs: 300, error: null };

  it('passes a copy within half a second of its rate', () => {
    expect(pacedFailures(kept)).toEqual([]);
  });

  it('fails one further behind, one that ran out of rows, and one that failed', () => {
    expect(pacedFailures({ ...kept, partsCommitted: 170 })).toEqual(['the paced COPY fell 75000 messages behind']);
    expect(pacedFailures({ ...kept, partsDue: 150, partsCommitted: 150 })).toEqual(['the paced COPY had 150 of the 200 parts the window needs']);
    expect(pacedFailures({ ...kept, error: 'duplicate key' })).toEqual(['the paced COPY failed: duplicate key']);
  });
});
