import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { ChatflowEvent } from '../../core/events.js';
import { BatchEncoder } from './batchEncoder.js';
import { ODD_ROLES, type PackedSlice, PackedReader, packEvents, rolesCode, rolesJson, transferables } from './wire.js';

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
    fc.oneof(
      fc.subarray(['mod', 'vip', 'subscriber'] as const),
      // Any order, repeats, more than a code holds, names no platform gives, not an array.
      fc.array(fc.constantFrom('broadcaster', 'mod', 'vip', 'subscriber', 'member', 'verified'), { maxLength: 9 }),
      fc.array(fc.oneof(fc.constantFrom('mod', 'ro\tle', 'nul\u0000'), text), { maxLength: 3 }),
      fc.constantFrom(null, 'mod', { mod: true }),
    ),
    fc.constantFrom('twitch', 'you\ttube'),
    fc.constantFrom('q', 'cv', 'we\tird'),
    fc.integer({ min: 0, max: 5 }),
  )
  .map(([kind, body, user, bits, reply, flag, roles, platform, name, argsKind]): ChatflowEvent => {
    const c = chat(body, {
      user,
      roles: roles as never,
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
    if (kind === 'command') {
      // Plain arguments are packed; anything else (an object in them, an array) goes whole.
      const args = [{ text: body }, {}, { variable: body, value: bits ?? 0.5, on: flag }, { 2: user, 1: body }, { deep: { text: body } }, [body]][argsKind];
      return { kind: 'command', name, args, chat: argsKind === 5 && flag ? ({ ...c, text: undefined } as never) : c, receivedAt: 0 } as ChatflowEvent;
    }
    return { kind: 'control', variable: body, value: 0.5, previous: 0, origin: 'command', ts: 3, receivedAt: 0 };
  });

/** Each part of a batch as (index, table, text, rows), and the batch's counts. */
function encode(batch: readonly ChatflowEvent[], slices: readonly number[], packed: boolean, instance = 'i1', kinds = ['chat', 'command', 'control']) {
  const parts: { index: number; tables: { table: string; text: string; rows: number }[] }[] = [];
  const encoding = new BatchEncoder(kinds, rows(instance)).begin(batch.length, 2, (index, t) => {
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

  it('encodes the same, counts included, with some kinds not stored and an instance that needs cleaning', () => {
    const kinds = fc.subarray(['chat', 'command', 'control']);
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 3 }), kinds, fc.constantFrom('i1', 'i\u0000'), (batch, slices, k, instance) => {
        expect(encode(batch, slices, true, instance, k)).toEqual(encode(batch, slices, false, instance, k));
      }),
      { numRuns: 150 },
    );
  });

  it('counts an instance that needed cleaning once per row, as encoding the events does', () => {
    const batch = [chat('a', { id: '1' }), chat('b', { id: '2' }), chat('c', { id: '3' })];
    const packed = encode(batch, [], true, 'in\u0000st');
    expect(packed).toEqual(encode(batch, [], false, 'in\u0000st'));
    expect(packed.counts.cleaned).toBe(3);
  });

  it('packs chat events as the code units of their fields in one transferable buffer (no string per event), and a malformed one whole', () => {
    const long = `${'x'.repeat(40)} \ud800 🎛 é`; // copied natively (long), with a lone surrogate
    const c = chat(long, { id: 'm1', bits: 100, replyTo: { id: 'm0' }, roles: ['mod'] });
    const bare = chat('yo', { id: 'm2', user: 'bo', roles: [] });
    const odd = { ...c, id: 42 } as unknown as ChatflowEvent;
    const slice: PackedSlice = packEvents([c, odd, bare], 0, 3);
    expect([...slice.packed]).toEqual([1, 0, 1]);
    expect(slice.whole).toEqual([odd]);
    expect(transferables(slice)).toContain(slice.chars.buffer);
    // The six leading fields with a tab between them, then the text and the reply id.
    expect(String.fromCharCode(...slice.chars)).toBe(
      `twitch\tm1\t${c.channel}\t${c.author.id}\t${c.author.login}\t${c.author.displayName}${long}m0twitch\tm2\t${bare.channel}\t${bare.author.id}\tbo\t${bare.author.displayName}yo`,
    );
    expect([...slice.roleCodes]).toEqual([rolesCode(['mod']), 0]);
    expect(slice.oddRoles).toEqual([]);
    expect([...slice.numbers]).toEqual([c.ts, 100, bare.ts, Number.NaN]);
  });

  it("packs a command with plain arguments into the buffer (its row's fields, its arguments' JSON), no object", () => {
    const c = chat('!q why?', { id: 'm1', roles: ['mod'], emotes: [{ id: 'e', name: 'Kappa', start: 0, end: 4 }] });
    const slice = packEvents([{ kind: 'command', name: 'q', args: { text: 'why?', n: 2 }, chat: c, receivedAt: 7 }], 0, 1);
    expect([...slice.packed]).toEqual([2]);
    expect(slice.whole).toEqual([]);
    expect(String.fromCharCode(...slice.chars)).toBe(`twitchm1${c.channel}${c.author.login}q{"text":"why?","n":2}!q why?`);
    expect([...slice.commandTs]).toEqual([c.ts]);
  });

  it("sends a command whose arguments are not plain with its chat message's row fields only, not its emotes, badges or roles", () => {
    const c = chat('!q why?', { id: 'm1', roles: ['mod'], emotes: [{ id: 'e', name: 'Kappa', start: 0, end: 4 }] });
    const args = { text: 'why?', at: { x: 1 } } as never;
    const slice = packEvents([{ kind: 'command', name: 'q', args, chat: c, receivedAt: 7 }], 0, 1);
    expect([...slice.packed]).toEqual([0]);
    expect(slice.whole).toEqual([
      { kind: 'command', name: 'q', args, chat: { platform: 'twitch', id: 'm1', channel: c.channel, author: { login: c.author.login }, ts: c.ts, text: '!q why?' } },
    ]);
  });

  it('an empty slice packs and encodes to nothing', () => {
    const slice = packEvents([chat('a')], 1, 1);
    expect(slice.packed.length).toBe(0);
    expect(encode([], [], true)).toEqual({ parts: [], counts: { stored: 0, cleaned: 0, notStored: 0 } });
  });
});

describe('rolesCode / rolesJson', () => {
  it('codes up to seven known roles in order, repeats included, and gives back their JSON text', () => {
    for (const roles of [[], ['mod'], ['verified', 'broadcaster'], ['vip', 'vip', 'member', 'subscriber', 'mod', 'broadcaster', 'verified']]) {
      const code = rolesCode(roles);
      expect(code).not.toBe(ODD_ROLES);
      expect(rolesJson(code)).toBe(JSON.stringify(roles));
    }
    expect(rolesCode(['mod', 'vip'])).not.toBe(rolesCode(['vip', 'mod']));
  });

  it('says odd for anything else: unknown names, more than seven, not an array', () => {
    for (const roles of [['mod', 'admin'], Array(8).fill('mod'), 'mod', null, undefined, { 0: 'mod', length: 1 }]) {
      expect(rolesCode(roles)).toBe(ODD_ROLES);
    }
  });

  it('sends odd roles as they are, in order, beside the codes', () => {
    const slice = packEvents([chat('a', { roles: ['x'] as never }), chat('b', { roles: ['mod'] }), chat('c', { roles: 'vip' as never })], 0, 3);
    expect([...slice.roleCodes]).toEqual([ODD_ROLES, rolesCode(['mod']), ODD_ROLES]);
    expect(slice.oddRoles).toEqual([['x'], 'vip']);
  });
});
