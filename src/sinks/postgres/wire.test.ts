import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { ChatflowEvent } from '../../core/events.js';
import { BatchEncoder } from './batchEncoder.js';
import { type PackedSlice, PackedReader, packEvents, transferables } from './wire.js';

const rows = (instance = 'i1') => ({ instance, questionCommands: new Set(['q']), now: () => 5 });

const text = fc.string({ unit: fc.oneof(fc.constantFrom('\\', '\t', '\n', '\r', '\u0000', '\ud800', '\udc00', '🎛'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 20 });
const event = fc
  .tuple(
    fc.constantFrom('chat', 'chat', 'chat', 'command', 'control', 'odd'),
    text,
    fc.oneof(fc.constantFrom('ann', 'bo\tb', 'c\\d', 'e\ud800'), text),
    fc.option(fc.oneof(fc.integer({ min: 0, max: 5e9 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1.5)), { nil: undefined }),
    fc.option(text, { nil: undefined }),
    fc.boolean(),
    fc.subarray(['mod', 'vip', 'subscriber'] as const),
    fc.constantFrom('twitch', 'you\ttube'),
  )
  .map(([kind, body, user, bits, reply, flag, roles, platform]): ChatflowEvent => {
    const c = chat(body, {
      user,
      roles,
      platform: platform as 'twitch',
      id: `${user}:${body}`,
      ts: 1_700_000_000_000 + (bits === undefined || !Number.isFinite(bits) ? 0 : bits),
      action: flag,
      firstMessage: !flag,
      ...(bits === undefined ? {} : { bits }),
      ...(reply === undefined ? {} : { replyTo: { id: reply, login: 'x', text: 'y' } }),
    });
    if (kind === 'chat') return c;
    // Not what the type says (a source's bug): encoded as it always was, whole.
    if (kind === 'odd') return { ...c, author: { ...c.author, displayName: undefined }, bits: '7' } as unknown as ChatflowEvent;
    if (kind === 'command') return { kind: 'command', name: 'q', args: { text: body }, chat: c, receivedAt: 0 };
    return { kind: 'control', variable: body, value: 0.5, previous: 0, origin: 'command', ts: 3, receivedAt: 0 };
  });

/** Each part of a batch as (index, table, text, rows), and the batch's counts. */
function encode(batch: readonly ChatflowEvent[], slices: readonly number[], packed: boolean, instance = 'i1') {
  const parts: { index: number; tables: { table: string; text: string; rows: number }[] }[] = [];
  const encoding = new BatchEncoder(['chat', 'command', 'control'], rows(instance)).begin(batch.length, 2, (index, t) => {
    parts.push({ index, tables: t.tables().map((x) => ({ table: x.table, text: Buffer.from(x.bytes).toString(), rows: x.rows })) });
  });
  let from = 0;
  for (const size of [...slices, batch.length]) {
    const to = Math.min(batch.length, from + size);
    if (packed) {
      const slice = packEvents(batch, from, to);
      // As the worker gets it: cloned, its buffers transferred.
      encoding.addPacked(new PackedReader(structuredClone(slice, { transfer: transferables(slice) })));
    } else {
      encoding.add(batch, from, to);
    }
    from = to;
  }
  return { parts, counts: encoding.finish() };
}

describe('packEvents / PackedReader', () => {
  it('encodes a packed slice into the same COPY text as its events, byte for byte, with the same counts', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 600 }), fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 6 }), (batch, slices) => {
        expect(encode(batch, slices, true)).toEqual(encode(batch, slices, false));
      }),
      { numRuns: 300 },
    );
  });

  it('counts an instance that needed cleaning once per row, as encoding the events does', () => {
    const batch = [chat('a', { id: '1' }), chat('b', { id: '2' }), chat('c', { id: '3' })];
    const packed = encode(batch, [], true, 'in\u0000st');
    expect(packed).toEqual(encode(batch, [], false, 'in\u0000st'));
    expect(packed.counts.cleaned).toBe(3);
  });

  it('packs chat events as the code units of their fields, each followed by a tab, in one transferable buffer (no string per event), and a malformed one whole', () => {
    const long = `${'x'.repeat(40)} \ud800 🎛 é`; // copied natively (long), with a lone surrogate
    const c = chat(long, { id: 'm1', bits: 100, replyTo: { id: 'm0' }, roles: ['mod'] });
    const bare = chat('yo', { id: 'm2', user: 'bo', roles: [] });
    const odd = { ...c, id: 42 } as unknown as ChatflowEvent;
    const slice: PackedSlice = packEvents([c, odd, bare], 0, 3);
    expect([...slice.packed]).toEqual([1, 0, 1]);
    expect(slice.whole).toEqual([odd]);
    expect(transferables(slice)).toContain(slice.chars.buffer);
    // Eight fields per event, the last its reply id (empty without one).
    const fields = [
      ...['twitch', 'm1', c.channel, c.author.id, c.author.login, c.author.displayName, long, 'm0'],
      ...['twitch', 'm2', bare.channel, bare.author.id, 'bo', bare.author.displayName, 'yo', ''],
    ];
    expect(String.fromCharCode(...slice.chars)).toBe(fields.map((f) => `${f}\t`).join(''));
    expect(slice.roles).toEqual([['mod'], 0]);
    expect([...slice.numbers]).toEqual([c.ts, 100, bare.ts, Number.NaN]);
  });

  it("packs a command with its chat message's row fields only, not its emotes, badges or roles", () => {
    const c = chat('!q why?', { id: 'm1', roles: ['mod'], emotes: [{ id: 'e', name: 'Kappa', start: 0, end: 4 }] });
    const slice = packEvents([{ kind: 'command', name: 'q', args: { text: 'why?' }, chat: c, receivedAt: 7 }], 0, 1);
    expect(slice.whole).toEqual([
      { kind: 'command', name: 'q', args: { text: 'why?' }, chat: { platform: 'twitch', id: 'm1', channel: c.channel, author: { login: c.author.login }, ts: c.ts, text: '!q why?' } },
    ]);
  });

  it('an empty slice packs and encodes to nothing', () => {
    const slice = packEvents([chat('a')], 1, 1);
    expect(slice.packed.length).toBe(0);
    expect(encode([], [], true)).toEqual({ parts: [], counts: { stored: 0, cleaned: 0, notStored: 0 } });
  });
});
