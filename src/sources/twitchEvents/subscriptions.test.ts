import { describe, expect, it } from 'vitest';
import { EVENT_GROUPS, TwitchEventsConfig } from './config.js';
import { GROUP_SUBSCRIPTIONS, twitchEventsScopes } from './subscriptions.js';
import { NORMALIZED_TYPES } from './normalize.js';

describe('twitch_events config', () => {
  it('defaults to every group but the chat ones', () => {
    expect(TwitchEventsConfig.parse({}).events).toEqual(['redemptions', 'follows', 'subs', 'cheers', 'raids', 'polls', 'predictions', 'hype_train', 'ads', 'stream', 'shared_chat']);
  });

  it('refuses rewards without redemptions, an unknown group, and a settle timeout under a second', () => {
    const issues = (raw: unknown) => TwitchEventsConfig.safeParse(raw).error?.issues.map((i) => [i.path.join('.'), i.message]) ?? [];
    expect(issues({ events: ['follows'], rewards: { a: 'cv x {input}' } })).toEqual([['rewards', '`rewards` needs `redemptions` in `events`']]);
    expect(issues({ events: ['bits'] })[0]?.[0]).toBe('events.0');
    expect(issues({ settle_timeout: '200ms' })).toEqual([['settle_timeout', '`settle_timeout` must be at least 1s']]);
  });
});

describe('subscriptions', () => {
  it('every group subscribes to types the normalizer turns into events, each type once', () => {
    const types = EVENT_GROUPS.flatMap((g) => GROUP_SUBSCRIPTIONS[g].map((s) => s.type));
    expect(new Set(types).size).toBe(types.length);
    for (const type of types) expect(NORMALIZED_TYPES.has(type), type).toBe(true);
    expect([...NORMALIZED_TYPES].filter((t) => !types.includes(t))).toEqual([]);
  });

  it('scopes: per group, on the chat account for chat groups; manage for settled rewards', () => {
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['follows', 'raids', 'chat', 'moderation'], chat_account: 'bot' }))).toEqual([
      { account: 'broadcaster', anyOf: ['moderator:read:followers'], why: 'twitch_events: read follows' },
      { account: 'bot', anyOf: ['user:read:chat'], why: 'twitch_events: read chat' },
    ]);
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['redemptions'] }))[0]?.anyOf).toEqual(['channel:read:redemptions', 'channel:manage:redemptions']);
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['redemptions'], rewards: { a: 'cv a {input}' } }))[0]?.anyOf).toEqual(['channel:manage:redemptions']);
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['redemptions'], rewards: { a: 'cv a {input}' }, settle: false }))[0]?.anyOf[0]).toBe('channel:read:redemptions');
  });
});
