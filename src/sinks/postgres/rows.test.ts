import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { ControlEvent } from '../../core/events.js';
import { CopyEncoder, controlKey, escapeCopy, eventRows, insertSql, TABLES, type TableLines } from './rows.js';

describe('COPY text encoding', () => {
  it('escapes backslash, tab, newline and carriage return, and nothing else', () => {
    expect(escapeCopy('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(escapeCopy('\\N')).toBe('\\\\N');
    expect(escapeCopy('emoji 🎛️ "quotes" ,;')).toBe('emoji 🎛️ "quotes" ,;');
  });

  it('cleans NUL and lone surrogates, counts each cleaned value once, keeps pairs', () => {
    const enc = new CopyEncoder();
    expect(enc.text('a\u0000b')).toBe('ab');
    expect(enc.text('x\ud800y')).toBe('x\ufffdy');
    expect(enc.text('\udc00')).toBe('\ufffd');
    expect(enc.text('pair 🎹')).toBe('pair 🎹');
    expect(enc.json({ a: 'n\u0000', b: ['\ud800'] })).toBe('{"a":"n","b":["\ufffd"]}');
    expect(enc.cleaned).toBe(4);
    expect(enc.text(undefined)).toBe('\\N');
    expect(enc.num(Number.NaN)).toBe('\\N');
  });

  it('text() equals cleaning then escaping, and counts a value only when cleaning changed it', () => {
    const units = fc.constantFrom('a', 'é', '\\', '\t', '\n', '\r', '\u0000', '\ud83c', '\udf9b', '🎛', 'N', ' ');
    fc.assert(
      fc.property(fc.array(units, { maxLength: 24 }), (parts) => {
        const value = parts.join('');
        const fast = new CopyEncoder();
        const reference = new CopyEncoder();
        expect(fast.text(value)).toBe(escapeCopy(reference.clean(value)));
        expect(fast.cleaned).toBe(reference.cleaned);
      }),
      { numRuns: 2000 },
    );
  });

  it('formats times as ISO 8601 UTC with milliseconds, across second boundaries', () => {
    const enc = new CopyEncoder();
    for (const ms of [0, 5, 999, 1000, 1_700_000_000_007, 1_700_000_000_070, 1_700_000_001_700, -1, 1.9, Number.NaN]) {
      const expected = new Date(Number.isFinite(ms) ? Math.trunc(ms) : 0).toISOString();
      expect(enc.time(ms)).toBe(expected);
    }
  });

  it('maps a chat event to one chat_messages line in column order', () => {
    const lines: TableLines = new Map();
    const rows = eventRows(
      chat('hi\tthere', { id: 'm1', ts: 0 }),
      new CopyEncoder(),
      { instance: 'i1', questionCommands: new Set(), now: () => 0 },
      lines,
    );
    expect(rows).toBe(1);
    expect(lines.get('chat_messages')).toEqual([
      'twitch\tm1\tchan\tid-viewer\tviewer\tviewer\t[]\thi\\tthere\t1970-01-01T00:00:00.000Z\t\\N\t\\N\tf\tf\ti1',
    ]);
    expect(insertSql(TABLES.questions)).toBe(
      'INSERT INTO questions (platform, message_id, channel, author_login, text, ts, instance) SELECT platform, message_id, channel, author_login, text, ts, instance FROM stage_questions ON CONFLICT DO NOTHING',
    );
  });
});

describe('controlKey', () => {
  const change: ControlEvent = { kind: 'control', variable: 'cutoff', value: 0.9, previous: 0, origin: 'command', ts: 5, receivedAt: 0 };

  it("is the change's own id, whoever writes it, so changes alike in every other field stay apart", () => {
    const ann = { ...change, id: 'studio/cv/0/1', by: { login: 'ann', platform: 'twitch' as const } };
    const bob = { ...change, id: 'studio/cv/0/2', by: { login: 'bob', platform: 'twitch' as const } };
    expect(controlKey(ann, 'studio')).toBe('studio/cv/0/1');
    expect(controlKey(ann, 'reingest')).toBe('studio/cv/0/1');
    expect(controlKey(bob, 'studio')).not.toBe(controlKey(ann, 'studio'));
  });

  it('falls back to instance, variable, time, origin and value for a change without an id', () => {
    expect(controlKey(change, 'studio')).toBe('studio|cutoff|5|command|0.9');
  });
});

describe('platform events with a list', () => {
  it('stores a poll\'s choices under `items` beside its details', () => {
    const lines: TableLines = new Map();
    eventRows(
      {
        kind: 'platform',
        type: 'poll',
        id: 'poll:p1:end',
        platform: 'twitch',
        channel: 'chan',
        ts: 0,
        data: { phase: 'end', title: 'Boss?' },
        items: [{ id: 'c1', title: 'Dragon', votes: 3 }],
        receivedAt: 0,
      },
      new CopyEncoder(),
      { instance: 'i1', questionCommands: new Set(), now: () => 0 },
      lines,
    );
    expect(lines.get('platform_events')).toEqual([
      'twitch\tpoll:p1:end\tpoll\tchan\t\\N\t{"phase":"end","title":"Boss?","items":[{"id":"c1","title":"Dragon","votes":3}]}\t1970-01-01T00:00:00.000Z\ti1',
    ]);
  });
});
