import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { ControlEvent } from '../../core/events.js';
import type { ChatflowEvent } from '../../core/events.js';
import { BufferPool } from './bufferPool.js';
import { CopyEncoder, CopyText, controlKey, encodeRows, escapeCopy, eventRows, insertSql, TABLES, type TableLines } from './rows.js';

/**
 * The encoder's `text` as it was before the native scans (one loop over the code units), kept
 * here as the reference the new one must match byte for byte.
 */
function loopText(value: string | undefined): { out: string; cleaned: boolean } {
  if (value === undefined) return { out: '\\N', cleaned: false };
  const nulFree = value.replaceAll('\u0000', '');
  let out = '';
  let cleaned = nulFree !== value;
  for (let i = 0; i < nulFree.length; i++) {
    const c = nulFree.charCodeAt(i);
    if (c === 92) out += '\\\\';
    else if (c === 9) out += '\\t';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = nulFree.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += nulFree.slice(i, i + 2);
        i += 1;
      } else {
        out += '\ufffd';
        cleaned = true;
      }
    } else out += nulFree[i];
  }
  return { out, cleaned };
}

/** Any UTF-16 code unit (lone surrogates included), with the characters COPY cares about often. */
const hostileUnit = fc.oneof(
  fc.constantFrom('\\', '\t', '\n', '\r', '\u0000', '\ud83c', '\udf9b', '🎛', 'é', '.', 'N', ' '),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
);
const hostileText = fc.array(hostileUnit, { maxLength: 40 }).map((units) => units.join(''));

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

  it('text() matches the code-unit loop it replaced, byte for byte, on any UTF-16 text', () => {
    fc.assert(
      fc.property(fc.array(hostileText, { maxLength: 8 }), (values) => {
        const enc = new CopyEncoder();
        let cleaned = 0;
        for (const value of values) {
          const expected = loopText(value);
          expect(enc.text(value)).toBe(expected.out);
          if (expected.cleaned) cleaned += 1;
        }
        expect(enc.cleaned).toBe(cleaned);
      }),
      { numRuns: 3000 },
    );
  });

  it('returns a value needing no work as the very same string, emoji pairs included', () => {
    const enc = new CopyEncoder();
    for (const value of ['viewer42', 'plain chat line, "quotes" and ünïcödé', 'pair 🎛️🎹', '']) expect(enc.text(value)).toBe(value);
    expect(enc.cleaned).toBe(0);
  });

  it('encodes a batch into one UTF-8 buffer per table, the same bytes as its lines joined', () => {
    const options = { instance: 'i\t1', questionCommands: new Set(['q']), now: () => 7 };
    const kinds = new Set(['chat', 'command', 'control']);
    const event = fc
      .tuple(fc.constantFrom('chat', 'command', 'control', 'reply'), hostileText, hostileText, fc.integer({ min: 0, max: 2e12 }))
      .map(([kind, text, login, ts]): ChatflowEvent => {
        const c = chat(text, { user: login, id: `${login}|${ts}`, ts });
        if (kind === 'chat') return c;
        if (kind === 'command') return { kind: 'command', name: 'q', args: { text }, chat: c, receivedAt: 0 };
        if (kind === 'control') return { kind: 'control', variable: text, value: ts / 7, previous: 0, origin: 'command', ts, receivedAt: 0 };
        return { kind: 'reply', platform: 'twitch', channel: 'c', text, replyTo: login, receivedAt: 0 };
      });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (batch) => {
        const out = new CopyText();
        const stored = encodeRows(batch, 0, batch.length, kinds, new CopyEncoder(), options, out);
        const lines: TableLines = new Map();
        const reference = new CopyEncoder();
        let expectedStored = 0;
        for (const e of batch) if (kinds.has(e.kind) && eventRows(e, reference, options, lines) > 0) expectedStored += 1;
        expect(stored).toBe(expectedStored);
        expect(out.stored).toBe(expectedStored);
        const tables = out.tables();
        expect(tables.map((t) => t.table)).toEqual([...lines.keys()]);
        for (const t of tables) {
          const rows = lines.get(t.table) ?? [];
          expect(t.rows).toBe(rows.length);
          expect(Buffer.from(t.bytes).equals(Buffer.from(`${rows.join('\n')}\n`))).toBe(true);
          // A buffer of its own: transferable to another thread as it is.
          expect(t.bytes.byteOffset).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('grows a table buffer past its first 64 KiB without losing a byte', () => {
    const out = new CopyText();
    const line = `${'x'.repeat(1000)}\t🎛️`;
    for (let i = 0; i < 200; i++) out.add('chat_messages', line);
    const [table] = out.tables();
    expect(table?.rows).toBe(200);
    expect(Buffer.from(table?.bytes ?? []).toString()).toBe(`${line}\n`.repeat(200));
  });

  it('takes its buffers from a pool and gives them back at release: the next part writes into the same memory', () => {
    const pool = new BufferPool();
    const line = `${'x'.repeat(1000)}\t🎛️`;
    const first = new CopyText(pool);
    for (let i = 0; i < 200; i++) first.add('chat_messages', line);
    first.add('commands', 'c');
    // Growing past 64 KiB gave the outgrown buffers back already.
    expect(pool.size).toBeGreaterThan(0);
    const used = first.tables().map((t) => t.bytes.buffer);
    first.release();
    expect(first.empty).toBe(true);
    const second = new CopyText(pool);
    for (let i = 0; i < 200; i++) second.add('chat_messages', `${line}!`);
    second.add('commands', 'd');
    const tables = second.tables();
    expect(used).toContain(tables[0]?.bytes.buffer);
    expect(Buffer.from(tables[0]?.bytes ?? []).toString()).toBe(`${line}!\n`.repeat(200));
    expect(Buffer.from(tables[1]?.bytes ?? []).toString()).toBe('d\n');
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
