import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { ChatflowEvent } from '../../core/events.js';
import { CopyEncoder, eventRows, type TableLines } from './rows.js';
import { packEvents, unpackEvents } from './wire.js';

const options = { instance: 'i1', questionCommands: new Set(['q']), now: () => 5 };

function rows(batch: readonly ChatflowEvent[]): TableLines {
  const lines: TableLines = new Map();
  const enc = new CopyEncoder();
  for (const e of batch) eventRows(e, enc, options, lines);
  return lines;
}

const text = fc.string({ unit: fc.oneof(fc.constantFrom('\\', '\t', '\n', '\u0000', '\ud800', '🎛'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 20 });
const event = fc
  .tuple(
    fc.constantFrom('chat', 'command', 'control'),
    text,
    fc.constantFrom('ann', 'bo\tb'),
    fc.option(fc.integer({ min: 0, max: 5e9 }), { nil: undefined }),
    fc.option(text, { nil: undefined }),
    fc.boolean(),
    fc.subarray(['mod', 'vip', 'subscriber'] as const),
  )
  .map(([kind, body, user, bits, reply, flag, roles]): ChatflowEvent => {
    const c = chat(body, {
      user,
      roles,
      id: `${user}:${body}`,
      ts: 1_700_000_000_000 + (bits ?? 0),
      action: flag,
      firstMessage: !flag,
      ...(bits === undefined ? {} : { bits }),
      ...(reply === undefined ? {} : { replyTo: { id: reply, login: 'x', text: 'y' } }),
    });
    if (kind === 'chat') return c;
    if (kind === 'command') return { kind: 'command', name: 'q', args: { text: body }, chat: c, receivedAt: 0 };
    return { kind: 'control', variable: body, value: 0.5, previous: 0, origin: 'command', ts: 3, receivedAt: 0 };
  });

describe('packEvents / unpackEvents', () => {
  it('gives back events whose rows are the same, byte for byte, in the same order', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 25 }), fc.nat(25), (batch, cut) => {
        const from = Math.min(cut, batch.length);
        const unpacked = unpackEvents(packEvents(batch, from, batch.length));
        expect(unpacked.map((e) => e.kind)).toEqual(batch.slice(from).map((e) => e.kind));
        expect(rows(unpacked)).toEqual(rows(batch.slice(from)));
      }),
      { numRuns: 500 },
    );
  });

  it('packs a chat event flat (no object but its roles), and survives a structured clone', () => {
    const c = chat('hi', { id: 'm1', bits: 100, replyTo: { id: 'm0' }, roles: ['mod'] });
    const packed = packEvents([c], 0, 1);
    expect(packed.filter((v) => typeof v === 'object' && v !== null)).toEqual([['mod']]);
    const [back] = unpackEvents(structuredClone(packed));
    expect(back).toMatchObject({ kind: 'chat', id: 'm1', bits: 100, replyTo: { id: 'm0' }, author: { roles: ['mod'] } });
  });

  it('an empty slice is an empty array', () => {
    expect(packEvents([chat('a')], 1, 1)).toEqual([]);
    expect(unpackEvents([])).toEqual([]);
  });
});
