import { describe, expect, it } from 'vitest';
import type { Author, ChatEvent, PlatformEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { hashOf, RecentIds } from '../shared/recentIds.js';
import { createTwitchNodeState, gateTwitchEvent, RoomStates } from './session.js';

const author: Author = { id: '1', login: 'a', displayName: 'A', roles: [], badges: {} };

function chat(id: string, extra: Partial<ChatEvent> = {}): ChatEvent {
  return {
    kind: 'chat',
    id,
    platform: 'twitch',
    channel: 'c',
    author,
    text: 'hi',
    emotes: [],
    ts: 1,
    action: false,
    firstMessage: false,
    receivedAt: 0,
    ...extra,
  };
}

function platform(type: PlatformEvent['type'], id: string, data: PlatformEvent['data'] = {}, channel = 'c'): PlatformEvent {
  return { kind: 'platform', type, id, platform: 'twitch', channel, ts: 5, data, receivedAt: 0 };
}

describe('RecentIds', () => {
  it('remembers keys and reports repeats', () => {
    const recent = new RecentIds(3);
    expect(recent.add('a')).toBe(true);
    expect(recent.add('a')).toBe(false);
    expect(recent.has('a')).toBe(true);
  });

  it('keeps at least the newest half of its capacity and forgets the oldest, so memory stays bounded', () => {
    const recent = new RecentIds(4);
    for (const key of ['a', 'b', 'c', 'd', 'e']) recent.add(key);
    expect(recent.has('a')).toBe(false);
    expect(recent.has('b')).toBe(false);
    expect(['c', 'd', 'e'].every((k) => recent.has(k))).toBe(true);
    for (let i = 0; i < 10_000; i++) {
      recent.add(`k${i}`);
      expect(recent.size).toBeLessThanOrEqual(4);
    }
    expect(recent.has('k9999') && recent.has('k9998')).toBe(true);
  });

  it('catches a repeat from either generation, also on the add that starts a new one', () => {
    const recent = new RecentIds(4);
    expect(['a', 'b'].map((k) => recent.add(k))).toEqual([true, true]);
    // The newer generation is full: a repeat of one of its keys is still a repeat.
    expect(recent.add('a')).toBe(false);
    expect(recent.add('c')).toBe(true);
    expect(recent.add('b')).toBe(false);
    expect(recent.add('c')).toBe(false);
    expect(['d', 'e'].map((k) => recent.add(k))).toEqual([true, true]);
    expect(recent.add('a')).toBe(true);
  });

  it('tells apart two keys with the same hash, and finds each after the other', () => {
    // Two short keys whose 32-bit hashes collide (found by search: the birthday bound is ~77k keys).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let n = 0; pair === undefined; n++) {
      const key = `id-${n}`;
      const other = seen.get(hashOf(key));
      if (other !== undefined) pair = [other, key];
      seen.set(hashOf(key), key);
    }
    const [a, b] = pair;
    expect(hashOf(a)).toBe(hashOf(b));
    const recent = new RecentIds(100);
    expect(recent.add(a)).toBe(true);
    expect(recent.has(b)).toBe(false);
    expect(recent.add(b)).toBe(true);
    expect([recent.add(a), recent.add(b), recent.size]).toEqual([false, false, 2]);
  });

  it('keeps every key of a full generation findable (probing wraps around its table)', () => {
    const recent = new RecentIds(2 * 500);
    const keys = Array.from({ length: 500 }, (_, n) => `k${n}`);
    expect(keys.every((k) => recent.add(k))).toBe(true);
    expect(keys.every((k) => recent.has(k) && !recent.add(k))).toBe(true);
    expect(recent.size).toBe(500);
  });
});

describe('RoomStates', () => {
  it('passes the first state whole, then only the settings that changed, and nothing when none did', () => {
    const rooms = new RoomStates();
    const full = platform('room_state', 'r1', { roomId: '9', emoteOnly: false, slow: 0 });
    expect(rooms.apply(full)).toBe(full);
    expect(rooms.apply(platform('room_state', 'r2', { roomId: '9', emoteOnly: false, slow: 0 }))).toBeUndefined();
    const changed = rooms.apply(platform('room_state', 'r3', { roomId: '9', emoteOnly: false, slow: 30 }));
    expect(changed?.data).toEqual({ roomId: '9', slow: 30 });
    expect(changed?.id).toBe('roomstate:9:5:slow=30');
  });

  it('keeps channels apart', () => {
    const rooms = new RoomStates();
    rooms.apply(platform('room_state', 'r1', { roomId: '1', slow: 0 }, 'one'));
    expect(rooms.apply(platform('room_state', 'r2', { roomId: '2', slow: 0 }, 'two'))).toBeDefined();
  });
});

describe('gateTwitchEvent', () => {
  it('drops a chat or platform event whose id was already emitted, counting it', () => {
    const state = createTwitchNodeState();
    const drops = new NodeMetrics('t', 'source', 'twitch');
    expect(gateTwitchEvent(chat('m1'), undefined, state, 'all', drops)).toBeDefined();
    expect(gateTwitchEvent(chat('m1'), undefined, state, 'all', drops)).toBeUndefined();
    // A cheer shares its chat message's id: different kinds do not collide.
    expect(gateTwitchEvent(platform('cheer', 'm1'), undefined, state, 'all', drops)).toBeDefined();
    expect(gateTwitchEvent(platform('cheer', 'm1'), undefined, state, 'all', drops)).toBeUndefined();
    expect(drops.snapshot().dropped).toEqual({ duplicate: { count: 2, intentional: true } });
  });

  it('emits a Shared Chat message once when two joined channels deliver it', () => {
    const state = createTwitchNodeState();
    const drops = new NodeMetrics('t', 'source', 'twitch');
    expect(gateTwitchEvent(chat('x', { channel: 'a' }), 'shared-1', state, 'all', drops)).toBeDefined();
    expect(gateTwitchEvent(chat('y', { channel: 'b', sourceRoom: '1' }), 'shared-1', state, 'all', drops)).toBeUndefined();
  });

  it("with `own`, drops chat first sent in another room", () => {
    const state = createTwitchNodeState();
    const drops = new NodeMetrics('t', 'source', 'twitch');
    expect(gateTwitchEvent(chat('y', { sourceRoom: '1' }), 's', state, 'own', drops)).toBeUndefined();
    expect(gateTwitchEvent(chat('z'), undefined, state, 'own', drops)).toBeDefined();
    expect(drops.snapshot().dropped).toEqual({ shared_chat: { count: 1, intentional: true } });
  });
});
