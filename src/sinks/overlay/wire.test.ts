import { describe, expect, it } from 'vitest';
import { chat } from '../../../test/support/events.js';
import type { CommandEvent, PlatformEvent } from '../../core/events.js';
import { clip, controlMessage, deletes, displayValue, MAX_TEXT, noteName, translate, type WireChat } from './wire.js';

const platform = (type: PlatformEvent['type'], data: PlatformEvent['data'] = {}, login?: string): PlatformEvent => ({
  kind: 'platform',
  type,
  id: 'p1',
  platform: 'twitch',
  channel: 'chan',
  ts: 0,
  data,
  receivedAt: 0,
  ...(login ? { author: { id: login, login, displayName: login, roles: [], badges: {} } } : {}),
});

describe('overlay wire format', () => {
  it('turns chat into a compact message, keeping only a well-formed colour', () => {
    const t = translate(chat('hi <script>', { id: 'm1', user: 'ann' }));
    expect(t).toEqual({ kind: 'entry', message: { t: 'm', i: 'm1', u: 'ann', l: 'ann', p: 'twitch', x: 'hi <script>' } });
    const colored = chat('/me waves', { id: 'm2', action: true });
    const withColor = { ...colored, author: { ...colored.author, color: '#FF0000' } };
    expect((translate(withColor) as { message: WireChat }).message).toMatchObject({ c: '#FF0000', a: 1 });
    const injected = { ...colored, author: { ...colored.author, color: 'red;background:url(x)' } };
    expect((translate(injected) as { message: WireChat }).message.c).toBeUndefined();
  });

  it('turns a command into its name and arguments as text', () => {
    const command: CommandEvent = {
      kind: 'command',
      name: 'cv',
      args: { subcommand: 'reset', name: 'cutoff' },
      chat: chat('!cv reset cutoff', { id: 'c1', user: 'mod' }),
      receivedAt: 0,
    };
    expect(translate(command)).toEqual({
      kind: 'entry',
      message: { t: 'k', i: 'c1', u: 'mod', l: 'mod', p: 'twitch', n: 'cv', a: 'reset cutoff' },
    });
  });

  it('shows control changes as bars, and commands, votes, panic and reset also as entries', () => {
    const base = { kind: 'control', variable: 'cutoff', value: 0.5, previous: 0, ts: 0, receivedAt: 0 } as const;
    expect(translate({ ...base, origin: 'slew' })).toMatchObject({ kind: 'control', entry: false });
    expect(translate({ ...base, origin: 'default' })).toMatchObject({ kind: 'control', entry: false });
    for (const origin of ['command', 'vote', 'panic', 'reset'] as const) {
      expect(translate({ ...base, origin })).toMatchObject({ kind: 'control', entry: true });
    }
    expect(controlMessage({ ...base, origin: 'command', by: { login: 'al', platform: 'kick' } }, [0, 1])).toEqual({
      t: 'c',
      n: 'cutoff',
      v: 0.5,
      o: 'command',
      r: [0, 1],
      u: 'al',
      p: 'kick',
    });
  });

  it('turns removals into delete and clear messages, and ignores the rest', () => {
    const spam = chat('spam', { id: 's1', user: 'troll' });
    const verdict = (v: 'allow' | 'flag' | 'delete' | 'timeout' | 'ban') =>
      translate({ kind: 'moderation', verdict: v, reasons: [], points: 0, chat: spam, receivedAt: 0 });
    expect(verdict('delete')).toEqual({ kind: 'delete', message: { t: 'd', i: 's1' } });
    expect(verdict('ban')).toEqual({ kind: 'delete', message: { t: 'd', l: 'troll', p: 'twitch' } });
    expect(verdict('timeout')).toEqual({ kind: 'delete', message: { t: 'd', l: 'troll', p: 'twitch' } });
    expect(verdict('allow')).toEqual({ kind: 'ignored' });
    expect(verdict('flag')).toEqual({ kind: 'ignored' });
    expect(translate(platform('message_deleted', { messageId: 's1' }))).toEqual({
      kind: 'delete',
      message: { t: 'd', i: 's1' },
    });
    expect(translate(platform('message_deleted'))).toEqual({ kind: 'ignored' });
    expect(translate(platform('user_banned', {}, 'troll'))).toMatchObject({ message: { l: 'troll' } });
    expect(translate(platform('user_messages_cleared', {}, 'troll'))).toEqual({ kind: 'delete', message: { t: 'd', l: 'troll', p: 'twitch' } });
    expect(translate(platform('chat_cleared'))).toEqual({ kind: 'clear', message: { t: 'x' } });
    expect(translate(platform('raid'))).toEqual({ kind: 'ignored' });
  });

  it('matches deletes against entries by message id, or by user and platform', () => {
    const m: WireChat = { t: 'm', i: 'a', u: 'U', l: 'u', p: 'twitch', x: '' };
    expect(deletes({ t: 'd', i: 'a' }, m)).toBe(true);
    expect(deletes({ t: 'd', i: 'b' }, m)).toBe(false);
    expect(deletes({ t: 'd', l: 'u', p: 'twitch' }, m)).toBe(true);
    expect(deletes({ t: 'd', l: 'u', p: 'kick' }, m)).toBe(false);
    expect(deletes({ t: 'd', l: 'u', p: 'twitch' }, { t: 'c', n: 'x', v: 1, o: 'command', u: 'u', p: 'twitch' })).toBe(true);
    expect(deletes({ t: 'd', i: 'a' }, { t: 'c', n: 'x', v: 1, o: 'command', u: 'u', p: 'twitch' })).toBe(false);
  });

  it('clips long text without splitting a surrogate pair', () => {
    expect(clip('abc', 5)).toBe('abc');
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('ab😀cd', 4)).toBe('ab…');
    expect(clip('x'.repeat(MAX_TEXT + 10), MAX_TEXT)).toHaveLength(MAX_TEXT);
  });
});

describe('how the page shows a value', () => {
  const pitch = { n: 'pitch', r: [-2, 3] as const, k: 'note' as const, d: 0, o: 1 };

  it('names the nearest note for note input (C4 = 0 V), at any volts per octave', () => {
    expect([0, -1.5, 1 / 12, -2, 3, 0.04].map((v) => displayValue(v, pitch))).toEqual(['C4', 'F#2', 'C#4', 'C2', 'C7', 'C4']);
    expect(noteName(1, 2)).toBe('F#4');
    expect(noteName(-1 / 12, 1)).toBe('B3');
  });

  it('shows other inputs as the number in their own units', () => {
    expect(displayValue(0.7, { ...pitch, k: 'normalized' })).toBe('0.70');
    expect(displayValue(440, { ...pitch, k: 'raw' })).toBe('440.0');
    expect(displayValue(-1.5, undefined)).toBe('-1.50');
  });
});
