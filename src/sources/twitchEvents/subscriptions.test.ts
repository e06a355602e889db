import { describe, expect, it } from 'vitest';
import { EVENT_GROUPS, TwitchEventsConfig } from './config.js';
import { GROUP_SUBSCRIPTIONS, twitchEventsScopes } from './subscriptions.js';
import { NORMALIZED_TYPES } from './normalize.js';
import { EVENTSUB_SCOPES } from '../../resources/twitch/index.js';
import { scopesToRequest } from '../../resources/twitch/scopes.js';

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

  it('scopes: from the EventSub table, per account (the chat account for chat groups); manage instead of read for settled rewards', () => {
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['follows', 'raids', 'chat', 'moderation'], chat_account: 'bot' }))).toEqual([
      { account: 'broadcaster', anyOf: ['moderator:read:followers'], why: 'twitch_events: reads channel.follow' },
      {
        account: 'bot',
        anyOf: ['user:read:chat'],
        why: 'twitch_events: reads channel.chat.message, channel.chat.message_delete, channel.chat.clear, channel.chat.clear_user_messages',
      },
    ]);
    const read = ['channel:read:redemptions', 'channel:manage:redemptions'];
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['redemptions'] })).map((n) => n.anyOf)).toEqual([read]);
    const settled = twitchEventsScopes(TwitchEventsConfig.parse({ events: ['redemptions'], rewards: { a: 'cv a {input}' } }));
    expect(settled.map((n) => n.anyOf)).toEqual([['channel:manage:redemptions']]);
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['redemptions', 'cheers'], rewards: { a: 'cv a {input}' } })).map((n) => n.anyOf)).toEqual([
      ['channel:manage:redemptions'],
      ['bits:read'],
    ]);
    expect(scopesToRequest(settled.map((n) => ({ ...n, node: 'events' })), 'broadcaster')).toEqual(['channel:manage:redemptions']);
    expect(twitchEventsScopes(TwitchEventsConfig.parse({ events: ['redemptions'], rewards: { a: 'cv a {input}' }, settle: false })).map((n) => n.anyOf)).toEqual([read]);
  });

  it('every subscribed type is in the EventSub scope table', () => {
    const config = TwitchEventsConfig.parse({ events: [...EVENT_GROUPS] });
    expect(() => twitchEventsScopes(config)).not.toThrow();
    for (const group of EVENT_GROUPS) for (const spec of GROUP_SUBSCRIPTIONS[group]) expect(spec.type in EVENTSUB_SCOPES, spec.type).toBe(true);
  });
});
