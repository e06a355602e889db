import { describe, expect, it } from 'vitest';
import type { Author, ChatEvent, PlatformEvent } from '../../core/events.js';
import { NodeMetrics } from '../../core/metrics.js';
import { createKickNodeState, gateKickEvent } from './session.js';

describe('gateKickEvent', () => {
  const author: Author = { id: '1', login: 'a', displayName: 'A', roles: [], badges: {} };
  const chat = (id: string): ChatEvent => ({
    kind: 'chat',
    id,
    platform: 'kick',
    channel: 'c',
    author,
    text: 'hi',
    emotes: [],
    ts: 1,
    action: false,
    firstMessage: false,
    receivedAt: 0,
  });
  const deleted = (id: string): PlatformEvent => ({ kind: 'platform', type: 'message_deleted', id, platform: 'kick', channel: 'c', ts: 1, data: {}, receivedAt: 0 });

  it('passes each id once per kind and counts repeats as duplicate', () => {
    const state = createKickNodeState(100);
    const metrics = new NodeMetrics('k', 'source', 'kick');
    expect(gateKickEvent(chat('m1'), state, metrics)).toBeDefined();
    expect(gateKickEvent(chat('m1'), state, metrics)).toBeUndefined();
    // A deletion of m1 is not a repeat of m1.
    expect(gateKickEvent(deleted('m1'), state, metrics)).toBeDefined();
    expect(gateKickEvent(deleted('m1'), state, metrics)).toBeUndefined();
    expect(metrics.snapshot().dropped).toEqual({ duplicate: { count: 2, intentional: true } });
  });

  it('is bounded: old ids are forgotten', () => {
    const state = createKickNodeState(4);
    const metrics = new NodeMetrics('k', 'source', 'kick');
    for (let i = 0; i < 10; i++) gateKickEvent(chat(`m${i}`), state, metrics);
    expect(state.recent.size).toBeLessThanOrEqual(4);
    expect(gateKickEvent(chat('m0'), state, metrics)).toBeDefined();
  });
});
