import { describe, expect, it } from 'vitest';
import { chatEvent, DEFAULT_START_WALL_CLOCK, platformEvent } from './events.js';

describe('chatEvent', () => {
  it('makes a chat message as the sources do, with a deterministic id and defaults', () => {
    const event = chatEvent({ login: 'ada', text: '!vote wobble 80' }, 1200);
    expect(event).toEqual({
      kind: 'chat',
      id: event.id,
      platform: 'twitch',
      channel: 'test',
      author: { id: 'twitch-ada', login: 'ada', displayName: 'ada', roles: [], badges: {} },
      text: '!vote wobble 80',
      emotes: [],
      ts: DEFAULT_START_WALL_CLOCK + 1200,
      action: false,
      firstMessage: false,
      receivedAt: 1200,
    });
    expect(event.id).toMatch(/^t-1200-ada-[0-9a-f]{8}$/);
    expect(DEFAULT_START_WALL_CLOCK).toBe(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('gives the same id to the same line at the same time, and different ids otherwise', () => {
    const a = chatEvent({ login: 'ada', text: 'hi' }, 5);
    expect(chatEvent({ login: 'ada', text: 'hi' }, 5).id).toBe(a.id);
    const others = [
      chatEvent({ login: 'ada', text: 'hi!' }, 5),
      chatEvent({ login: 'bob', text: 'hi' }, 5),
      chatEvent({ login: 'ada', text: 'hi' }, 6),
    ].map((e) => e.id);
    expect(new Set([a.id, ...others]).size).toBe(4);
    expect(chatEvent({ login: 'ada', text: 'hi', id: 'given' }, 5).id).toBe('given');
  });

  it('takes platform, roles, display name, channel, time, bits and colour', () => {
    const event = chatEvent(
      { login: 'mod1', text: '!cv panic', platform: 'kick', roles: ['mod'], displayName: 'Mod One', channel: 'show', ts: 7, bits: 100, color: '#ff0000' },
      10,
    );
    expect(event).toMatchObject({ platform: 'kick', channel: 'show', ts: 7, bits: 100 });
    expect(event.author).toEqual({ id: 'kick-mod1', login: 'mod1', displayName: 'Mod One', roles: ['mod'], badges: {}, color: '#ff0000' });
  });
});

describe('platformEvent', () => {
  it('makes a platform event with its author and data, or none', () => {
    expect(platformEvent({ type: 'raid', login: 'friend', data: { viewers: 120 } }, 5000)).toEqual({
      kind: 'platform',
      type: 'raid',
      id: 't-5000-raid-friend',
      platform: 'twitch',
      channel: 'test',
      author: { id: 'twitch-friend', login: 'friend', displayName: 'friend', roles: [], badges: {} },
      ts: DEFAULT_START_WALL_CLOCK + 5000,
      data: { viewers: 120 },
      receivedAt: 5000,
    });
    const cleared = platformEvent({ type: 'chat_cleared' }, 1);
    expect(cleared).not.toHaveProperty('author');
    expect(cleared.data).toEqual({});
  });
});
