import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chat } from '../../../test/support/events.js';
import type { ChatflowEvent, CommandEvent, ControlEvent, PlatformEvent } from '../../core/events.js';
import { ANONYMOUS, GenerationMap, isExempt, keyOf, type LimitScope, perField } from './limits.js';

const message = chat('!cv 1', { user: 'alice', platform: 'kick', channel: 'room', roles: ['vip'] });
const cv: CommandEvent = { kind: 'command', name: 'cv', args: {}, chat: message, receivedAt: 0 };
const raid: PlatformEvent = {
  kind: 'platform',
  type: 'raid',
  id: 'r1',
  platform: 'twitch',
  channel: 'chan',
  ts: 0,
  data: {},
  receivedAt: 0,
};
const slew: ControlEvent = {
  kind: 'control',
  variable: 'cutoff',
  value: 1,
  previous: 0,
  origin: 'command',
  by: { login: 'bob', platform: 'youtube' },
  ts: 0,
  receivedAt: 0,
};

const key = (scopes: readonly LimitScope[], event: ChatflowEvent) => keyOf(scopes)(event);

describe('limit keys', () => {
  it('keys one scope at a time', () => {
    expect(key(['global'], cv)).toBe('*');
    expect(key(['user'], cv)).toBe('kick:alice');
    expect(key(['command'], cv)).toBe('cv');
    expect(key(['platform'], cv)).toBe('kick');
    expect(key(['channel'], cv)).toBe('kick:room');
  });

  it('combines scopes with a separator that cannot occur in the parts', () => {
    expect(key(['user', 'command'], cv)).toBe('kick:alice\u001fcv');
    expect(key(['user', 'command', 'channel'], cv)).toBe('kick:alice\u001fcv\u001fkick:room');
  });

  it('keys events without an author as anonymous, and control events by who moved them', () => {
    expect(key(['user'], raid)).toBe(ANONYMOUS);
    expect(key(['user'], slew)).toBe('youtube:bob');
    expect(key(['channel'], raid)).toBe('twitch:chan');
    expect(key(['command'], message)).toBe('');
  });

  it('parses per into a canonical list', () => {
    const per = z.strictObject({ per: perField('user') });
    expect(per.parse({}).per).toEqual(['user']);
    expect(per.parse({ per: 'channel' }).per).toEqual(['channel']);
    expect(per.parse({ per: ['command', 'user', 'command'] }).per).toEqual(['user', 'command']);
    expect(per.parse({ per: ['global', 'user'] }).per).toEqual(['user']);
    expect(per.parse({ per: ['global'] }).per).toEqual(['global']);
    expect(per.safeParse({ per: [] }).success).toBe(false);
    expect(per.safeParse({ per: 'room' }).success).toBe(false);
  });

  it('finds exempt authors of chat, command and platform events', () => {
    const vip = new Set(['vip'] as const);
    expect(isExempt(message, vip)).toBe(true);
    expect(isExempt(cv, vip)).toBe(true);
    expect(isExempt(raid, vip)).toBe(false);
    expect(isExempt(cv, new Set())).toBe(false);
  });
});

describe('GenerationMap', () => {
  it('never holds more than maxKeys and always keeps the newest maxKeys / 2', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 40 }), touch: fc.boolean() }), { maxLength: 300 }),
        (maxKeys, ops) => {
          const map = new GenerationMap<number>(maxKeys);
          const recent: number[] = [];
          ops.forEach(({ key, touch }, i) => {
            const k = `${key}`;
            if (touch && map.touch(k, i) === undefined) return;
            if (!touch) map.set(k, i, i);
            const at = recent.indexOf(key);
            if (at >= 0) recent.splice(at, 1);
            recent.push(key);
            expect(map.size).toBeLessThanOrEqual(maxKeys);
            for (const kept of recent.slice(-Math.max(1, Math.floor(maxKeys / 2)))) {
              expect(map.get(`${kept}`)).not.toBeUndefined();
            }
          });
        },
      ),
    );
  });

  it('forgets, as time passes, only entries last set at least ageMs ago', () => {
    const map = new GenerationMap<string>(100);
    map.set('a', 'a', 0);
    map.expire(500, 1000);
    map.set('b', 'b', 600);
    map.expire(1000, 1000);
    map.set('c', 'c', 1000);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual(['a', 'b', 'c']);
    map.expire(1999, 1000);
    expect(map.size).toBe(3);
    map.expire(2000, 1000);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([undefined, undefined, 'c']);
  });

  it('makes a touched entry recent again', () => {
    const map = new GenerationMap<number>(2);
    map.set('a', 1, 0);
    map.set('b', 2, 0);
    expect(map.touch('a', 0)).toBe(1);
    map.set('c', 3, 0);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([1, undefined, 3]);
  });
});
