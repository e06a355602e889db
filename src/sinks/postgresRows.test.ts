import { describe, expect, it } from 'vitest';
import { chat } from '../../test/support/events.js';
import { CopyEncoder, escapeCopy, eventRows, insertSql, TABLES, type TableLines } from './postgresRows.js';

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
