/**
 * Which EventSub subscriptions each config group makes, through which twurple listener method,
 * on whose token, and with which scope (twitch-eventsub.md §2).
 */
import type { EventSubWsListener } from '@twurple/eventsub-ws';
import type { TwitchScopeNeed } from '../../core/twitchAuth.js';
import { CHAT_GROUPS, type EventGroup, type TwitchEventsConfig } from './config.js';

/** A twurple subscription (its class is not exported by @twurple/eventsub-ws itself). */
export type EventSubSubscription = ReturnType<EventSubWsListener['onStreamOnline']>;

/** The user ids a subscription's condition needs. */
export interface SubscriptionIds {
  readonly broadcaster: string;
  /** The user reading chat (the chat account). */
  readonly chatUser: string;
}

/** One subscription type: how twurple makes it. The handler is unused (notifications are read raw). */
export interface SubscriptionSpec {
  readonly type: string;
  readonly subscribe: (listener: EventSubWsListener, ids: SubscriptionIds) => EventSubSubscription;
}

const noop = () => undefined;

const b = (type: string, on: (l: EventSubWsListener, broadcaster: string) => EventSubSubscription): SubscriptionSpec => ({
  type,
  subscribe: (l, ids) => on(l, ids.broadcaster),
});
const c = (type: string, on: (l: EventSubWsListener, broadcaster: string, user: string) => EventSubSubscription): SubscriptionSpec => ({
  type,
  subscribe: (l, ids) => on(l, ids.broadcaster, ids.chatUser),
});

export const GROUP_SUBSCRIPTIONS: Readonly<Record<EventGroup, readonly SubscriptionSpec[]>> = {
  redemptions: [
    b('channel.channel_points_custom_reward_redemption.add', (l, id) => l.onChannelRedemptionAdd(id, noop)),
    b('channel.channel_points_custom_reward_redemption.update', (l, id) => l.onChannelRedemptionUpdate(id, noop)),
  ],
  // The broadcaster counts as a moderator of the channel.
  follows: [b('channel.follow', (l, id) => l.onChannelFollow(id, id, noop))],
  subs: [
    b('channel.subscribe', (l, id) => l.onChannelSubscription(id, noop)),
    b('channel.subscription.message', (l, id) => l.onChannelSubscriptionMessage(id, noop)),
    b('channel.subscription.gift', (l, id) => l.onChannelSubscriptionGift(id, noop)),
  ],
  cheers: [b('channel.cheer', (l, id) => l.onChannelCheer(id, noop))],
  raids: [b('channel.raid', (l, id) => l.onChannelRaidTo(id, noop))],
  polls: [
    b('channel.poll.begin', (l, id) => l.onChannelPollBegin(id, noop)),
    b('channel.poll.progress', (l, id) => l.onChannelPollProgress(id, noop)),
    b('channel.poll.end', (l, id) => l.onChannelPollEnd(id, noop)),
  ],
  predictions: [
    b('channel.prediction.begin', (l, id) => l.onChannelPredictionBegin(id, noop)),
    b('channel.prediction.progress', (l, id) => l.onChannelPredictionProgress(id, noop)),
    b('channel.prediction.lock', (l, id) => l.onChannelPredictionLock(id, noop)),
    b('channel.prediction.end', (l, id) => l.onChannelPredictionEnd(id, noop)),
  ],
  // Version 2: v1 was withdrawn in January 2026.
  hype_train: [
    b('channel.hype_train.begin', (l, id) => l.onChannelHypeTrainBeginV2(id, noop)),
    b('channel.hype_train.progress', (l, id) => l.onChannelHypeTrainProgressV2(id, noop)),
    b('channel.hype_train.end', (l, id) => l.onChannelHypeTrainEndV2(id, noop)),
  ],
  ads: [b('channel.ad_break.begin', (l, id) => l.onChannelAdBreakBegin(id, noop))],
  stream: [b('stream.online', (l, id) => l.onStreamOnline(id, noop)), b('stream.offline', (l, id) => l.onStreamOffline(id, noop))],
  shared_chat: [
    b('channel.shared_chat.begin', (l, id) => l.onChannelSharedChatSessionBegin(id, noop)),
    b('channel.shared_chat.update', (l, id) => l.onChannelSharedChatSessionUpdate(id, noop)),
    b('channel.shared_chat.end', (l, id) => l.onChannelSharedChatSessionEnd(id, noop)),
  ],
  chat: [c('channel.chat.message', (l, id, user) => l.onChannelChatMessage(id, user, noop))],
  notifications: [c('channel.chat.notification', (l, id, user) => l.onChannelChatNotification(id, user, noop))],
  moderation: [
    c('channel.chat.message_delete', (l, id, user) => l.onChannelChatMessageDelete(id, user, noop)),
    c('channel.chat.clear', (l, id, user) => l.onChannelChatClear(id, user, noop)),
    c('channel.chat.clear_user_messages', (l, id, user) => l.onChannelChatClearUserMessages(id, user, noop)),
  ],
};

/** The scope each group needs, or none (raids, stream, shared chat). */
const GROUP_SCOPES: Readonly<Record<EventGroup, readonly [string, ...string[]] | undefined>> = {
  redemptions: ['channel:read:redemptions', 'channel:manage:redemptions'],
  follows: ['moderator:read:followers'],
  subs: ['channel:read:subscriptions'],
  cheers: ['bits:read'],
  raids: undefined,
  polls: ['channel:read:polls', 'channel:manage:polls'],
  predictions: ['channel:read:predictions', 'channel:manage:predictions'],
  hype_train: ['channel:read:hype_train'],
  ads: ['channel:read:ads'],
  stream: undefined,
  shared_chat: undefined,
  chat: ['user:read:chat'],
  notifications: ['user:read:chat'],
  moderation: ['user:read:chat'],
};

/** The scopes a `twitch_events` node needs, for `chatflow auth twitch` and `--check`. */
export function twitchEventsScopes(config: TwitchEventsConfig): TwitchScopeNeed[] {
  const needs: TwitchScopeNeed[] = [];
  const settling = config.settle && Object.keys(config.rewards).length > 0;
  for (const group of config.events) {
    if (group === 'redemptions' && settling) {
      needs.push({ account: 'broadcaster', anyOf: ['channel:manage:redemptions'], why: 'twitch_events: settle redemptions of `rewards` (fulfil or refund)' });
      continue;
    }
    const anyOf = GROUP_SCOPES[group];
    if (anyOf === undefined) continue;
    const account = CHAT_GROUPS.includes(group) ? config.chat_account : 'broadcaster';
    if (needs.some((n) => n.account === account && n.anyOf[0] === anyOf[0])) continue;
    needs.push({ account, anyOf, why: `twitch_events: read ${group}` });
  }
  return needs;
}
